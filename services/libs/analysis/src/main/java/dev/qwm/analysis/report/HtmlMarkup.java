package dev.qwm.analysis.report;

import dev.qwm.analysis.stats.Estimate;
import dev.qwm.analysis.table.ResultTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The report's HTML elements, appended to one buffer; every text is escaped here, so callers pass plain text. */
final class HtmlMarkup {

    private final StringBuilder html = new StringBuilder(1 << 16);
    /** (id, title) of each section, in order: the page's table of contents. */
    private final List<String[]> toc = new ArrayList<>();

    List<String[]> toc() {
        return toc;
    }

    @Override
    public String toString() {
        return html.toString();
    }

    HtmlMarkup section(String id, String title) {
        toc.add(new String[]{id, title});
        html.append("<section id=\"").append(id).append("\">\n<h2>").append(esc(title)).append("</h2>\n");
        return this;
    }

    HtmlMarkup end() {
        html.append("</section>\n");
        return this;
    }

    HtmlMarkup p(String text) {
        html.append("<p>").append(esc(text)).append("</p>\n");
        return this;
    }

    /** A list of class {@code cssClass}. */
    HtmlMarkup list(String cssClass, List<String> items) {
        html.append("<ul class=\"").append(cssClass).append("\">");
        items.forEach(i -> html.append("<li>").append(esc(i)).append("</li>"));
        html.append("</ul>\n");
        return this;
    }

    /** Preformatted text, of class {@code cssClass} when it is not null. */
    HtmlMarkup pre(String cssClass, String text) {
        html.append(cssClass == null ? "<pre>" : "<pre class=\"" + cssClass + "\">").append(esc(text)).append("</pre>\n");
        return this;
    }

    /** Preformatted text folded under {@code summary}. */
    HtmlMarkup details(String summary, String text) {
        html.append("<details><summary>").append(esc(summary)).append("</summary><pre>").append(esc(text))
                .append("</pre></details>\n");
        return this;
    }

    /** The figures side by side; nothing at all when there are none. */
    HtmlMarkup charts(List<Charts.Figure> figures) {
        if (figures.isEmpty()) {
            return this;
        }
        html.append("<div class=\"charts\">\n");
        for (Charts.Figure f : figures) {
            html.append("<figure class=\"chart").append(f.wide() ? " wide" : "").append("\">").append(f.svg())
                    .append("</figure>\n");
        }
        html.append("</div>\n");
        return this;
    }

    /** A result table with its caption and notes; differences whose interval excludes zero are coloured. */
    HtmlMarkup table(ResultTable t) {
        if (t == null || t.isEmpty()) {
            return this;
        }
        html.append("<div class=\"table\"><table id=\"table-").append(t.id()).append("\">\n<caption><b>")
                .append(esc(t.title())).append(".</b> ").append(esc(t.caption())).append("</caption>\n<thead><tr>");
        for (ResultTable.Column c : t.columns()) {
            html.append("<th").append(c.numeric() ? " class=\"num\"" : "").append(">").append(esc(c.name())).append("</th>");
        }
        html.append("</tr></thead>\n<tbody>\n");
        for (List<Object> row : t.rows()) {
            html.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                ResultTable.Column c = t.columns().get(i);
                Object v = row.get(i);
                List<String> classes = new ArrayList<>();
                if (c.numeric()) {
                    classes.add("num");
                }
                if (c.kind() == ResultTable.Kind.DIFFERENCE && v instanceof Estimate e && e.isDefined()) {
                    if (e.interval().excludesZeroBelow()) {
                        classes.add("worse");
                    } else if (e.interval().excludesZeroAbove()) {
                        classes.add("better");
                    }
                }
                html.append("<td").append(classes.isEmpty() ? "" : " class=\"" + String.join(" ", classes) + "\"")
                        .append(">").append(esc(t.format(i, v))).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</tbody></table></div>\n");
        if (!t.notes().isEmpty()) {
            list("notes", t.notes());
        }
        return this;
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (char c : Objects.requireNonNullElse(s, "").toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
