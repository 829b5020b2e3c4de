package dev.qwm.analysis.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The report's plots, drawn with JFreeChart into SVG (JFreeSVG) so the HTML needs no image file and no script. Each
 * SVG gets its own prefix for the ids of its clip paths, so several can sit inline in one page.
 */
public final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Tableau 10: distinct in print and for the common colour-vision deficiencies. */
    static final Color[] PALETTE = {
            new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xe15759), new Color(0x76b7b2), new Color(0x59a14f),
            new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7), new Color(0x9c755f), new Color(0xbab0ac)};
    /** Dash patterns that tell apart lines of one colour: solid, dashed, dotted, dash-dot. */
    static final float[][] DASHES = {null, {9f, 5f}, {2f, 4f}, {9f, 4f, 2f, 4f}};
    static final Color INK = new Color(0x222222);
    static final Color GRID = new Color(0xdddddd);
    private static final Font TITLE = new Font("SansSerif", Font.BOLD, 14);
    private static final Font LABEL = new Font("SansSerif", Font.PLAIN, 12);
    private static final Font TICK = new Font("SansSerif", Font.PLAIN, 11);
    private static final Font SMALL = new Font("SansSerif", Font.PLAIN, 10);
    private static final AtomicInteger IDS = new AtomicInteger();

    /** A chart that takes a whole row of the page. */
    public static final int WIDTH = 860;
    /** A chart that shares a row with another, drawn at the size it is shown so its text stays legible. */
    public static final int HALF = 570;

    private Charts() {
    }

    /** One row of a forest plot: a label, a value with its interval, and the series (legend entry) it belongs to. */
    public record IntervalRow(String label, double value, double lower, double upper, String series) {
    }

    /** A named line: y over x. */
    public record Line(String name, double[] x, double[] y) {
    }

    /** A drawn chart: its SVG element and its natural size (wide charts take a whole row of the page). */
    public record Figure(String svg, int width, int height) {
        public boolean wide() {
            return width >= WIDTH;
        }
    }

    /** A labelled point of a scatter plot. */
    public record Point(String label, double x, double y, String series) {
    }

    /**
     * A horizontal forest plot: one row per label, the value as a dot and its interval as a bar; colours by series;
     * an optional reference line (e.g. 0 for differences).
     */
    public static Figure forest(String title, String valueAxis, List<IntervalRow> rows, double min, double max,
                                Double reference, Map<String, Color> colours) {
        String[] labels = rows.stream().map(IntervalRow::label).toArray(String[]::new);
        Map<String, YIntervalSeries> series = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            IntervalRow r = rows.get(i);
            if (Double.isNaN(r.value())) {
                continue;
            }
            series.computeIfAbsent(r.series(), YIntervalSeries::new).add(i, r.value(),
                    Double.isNaN(r.lower()) ? r.value() : r.lower(), Double.isNaN(r.upper()) ? r.value() : r.upper());
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        series.values().forEach(data::addSeries);
        SymbolAxis rowsAxis = new SymbolAxis(null, labels);
        rowsAxis.setInverted(true);
        rowsAxis.setGridBandsVisible(true);
        rowsAxis.setGridBandPaint(Color.WHITE);
        rowsAxis.setGridBandAlternatePaint(new Color(0xf4f4f4));
        rowsAxis.setTickLabelFont(TICK);
        rowsAxis.setRange(-0.6, Math.max(0.6, labels.length - 0.4));
        NumberAxis values = new NumberAxis(valueAxis);
        values.setRange(min, max);
        styleAxis(values);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDrawYError(true);
        renderer.setDefaultLinesVisible(false);
        renderer.setDefaultShapesVisible(true);
        renderer.setCapLength(6);
        renderer.setErrorStroke(new BasicStroke(2f));
        XYPlot plot = new XYPlot(data, rowsAxis, values, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        colour(renderer, data, colours, new Ellipse2D.Double(-4.5, -4.5, 9, 9));
        stylePlot(plot);
        if (reference != null) {
            ValueMarker marker = new ValueMarker(reference, INK, new BasicStroke(1.2f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 10f, new float[]{5f, 4f}, 0f));
            plot.addRangeMarker(marker);
        }
        int height = 110 + 24 * Math.max(3, labels.length) + (series.size() > 1 ? 20 : 0);
        return svg(chart(title, plot, series.size() > 1), HALF, height);
    }

    /** Lines over an integer axis (iterations, steps, horizon). */
    public static Figure lines(String title, String xAxis, String yAxis, List<Line> lines, Double yMin, Double yMax,
                               Map<String, Color> colours) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Line l : lines) {
            XYSeries s = new XYSeries(l.name(), false, true);
            for (int i = 0; i < l.x().length; i++) {
                if (!Double.isNaN(l.y()[i])) {
                    s.add(l.x()[i], l.y()[i]);
                }
            }
            if (s.getItemCount() > 0) {
                data.addSeries(s);
            }
        }
        NumberAxis x = new NumberAxis(xAxis);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis(yAxis);
        y.setAutoRangeIncludesZero(yMin != null && yMin == 0);
        if (yMin != null && yMax != null) {
            y.setRange(yMin, yMax);
        }
        styleAxis(x);
        styleAxis(y);
        int longest = lines.stream().mapToInt(l -> l.x().length).max().orElse(0);
        // markers on short curves only: on long ones they hide the line and bloat the SVG
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, longest <= 15);
        renderer.setDrawSeriesLineAsPath(true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        colour(renderer, data, colours, new Ellipse2D.Double(-3, -3, 6, 6));
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < data.getSeriesCount(); i++) {
            names.add(String.valueOf(data.getSeriesKey(i)));
        }
        List<LineStyle> styles = lineStyles(names, colours);
        for (int i = 0; i < styles.size(); i++) {
            renderer.setSeriesPaint(i, styles.get(i).colour());
            renderer.setSeriesStroke(i, styles.get(i).stroke());
        }
        // long enough in the legend to show a dash pattern
        renderer.setLegendLine(new java.awt.geom.Line2D.Double(-14, 0, 14, 0));
        stylePlot(plot);
        return svg(chart(title, plot, true), HALF, 360 + 16 * ((data.getSeriesCount() + 2) / 3));
    }

    /**
     * Cost against success: every configuration as a point with its label; the Pareto front drawn as a line through
     * its points.
     */
    public static Figure pareto(String title, String xAxis, List<Point> points, List<Point> front) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries frontSeries = new XYSeries("Pareto front", true, true);
        front.forEach(p -> frontSeries.add(p.x(), p.y()));
        XYSeries others = new XYSeries("dominated", false, true);
        points.stream().filter(p -> !front.contains(p)).forEach(p -> others.add(p.x(), p.y()));
        data.addSeries(frontSeries);
        data.addSeries(others);
        NumberAxis x = new NumberAxis(xAxis);
        x.setAutoRangeIncludesZero(true);
        NumberAxis y = new NumberAxis("success rate");
        y.setRange(-0.05, 1.1);
        styleAxis(x);
        styleAxis(y);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setDrawOutlines(false);
        renderer.setSeriesLinesVisible(0, true);
        renderer.setSeriesLinesVisible(1, false);
        renderer.setSeriesPaint(0, PALETTE[2]);
        renderer.setSeriesPaint(1, PALETTE[0]);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        renderer.setSeriesShape(0, new Rectangle2D.Double(-5, -5, 10, 10));
        renderer.setSeriesShape(1, new Ellipse2D.Double(-4.5, -4.5, 9, 9));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        stylePlot(plot);
        x.setUpperMargin(0.3);
        label(plot, points, front);
        return svg(chart(title, plot, true), HALF, 400);
    }

    /** Labelled scatter with one colour per series. */
    public static Figure scatter(String title, String xAxis, String yAxis, List<Point> points, Double yMin, Double yMax) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (Point p : points) {
            series.computeIfAbsent(p.series(), s -> new XYSeries(s, false, true)).add(p.x(), p.y());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        NumberAxis x = new NumberAxis(xAxis);
        x.setAutoRangeIncludesZero(true);
        NumberAxis y = new NumberAxis(yAxis);
        if (yMin != null && yMax != null) {
            y.setRange(yMin, yMax);
        }
        styleAxis(x);
        styleAxis(y);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        colour(renderer, data, Map.of(), new Ellipse2D.Double(-4.5, -4.5, 9, 9));
        stylePlot(plot);
        x.setUpperMargin(0.3);
        label(plot, points);
        return svg(chart(title, plot, series.size() > 1), HALF, 400);
    }

    /** Horizontal bars, one per label (e.g. SQNR of the most sensitive layers). */
    public static Figure bars(String title, String valueAxis, List<String> labels, List<Double> values, String series) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int i = 0; i < labels.size(); i++) {
            data.addValue(values.get(i), series, labels.get(i));
        }
        CategoryAxis categories = new CategoryAxis(null);
        categories.setTickLabelFont(TICK);
        categories.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        categories.setMaximumCategoryLabelWidthRatio(0.45f);
        NumberAxis value = new NumberAxis(valueAxis);
        styleAxis(value);
        BarRenderer renderer = new BarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setSeriesPaint(0, PALETTE[0]);
        renderer.setMaximumBarWidth(0.7);
        CategoryPlot plot = new CategoryPlot(data, categories, value, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        plot.setInsets(new RectangleInsets(4, 4, 4, 16));
        JFreeChart chart = chart(title, plot, false);
        return svg(chart, WIDTH, 90 + 22 * Math.max(3, labels.size()));
    }

    private static JFreeChart chart(String title, org.jfree.chart.plot.Plot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(title, TITLE, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setTextAntiAlias(true);
        TextTitle t = chart.getTitle();
        t.setPaint(INK);
        t.setPadding(new RectangleInsets(6, 4, 6, 4));
        LegendTitle l = chart.getLegend();
        if (l != null) {
            l.setItemFont(LABEL);
            l.setPosition(RectangleEdge.BOTTOM);
            l.setFrame(org.jfree.chart.block.BlockBorder.NONE);
            l.setItemLabelPadding(new RectangleInsets(2, 4, 2, 10));
        }
        return chart;
    }

    private static void styleAxis(NumberAxis axis) {
        axis.setLabelFont(LABEL);
        axis.setTickLabelFont(TICK);
        axis.setLabelPaint(INK);
        axis.setTickLabelPaint(INK);
    }

    private static void stylePlot(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlineVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setInsets(new RectangleInsets(4, 4, 4, 16));
        if (plot.getDomainAxis() instanceof SymbolAxis) {
            plot.setDomainGridlinesVisible(false);
        }
    }

    /** How a line is drawn: its colour and one of {@link #DASHES}. */
    record LineStyle(Color colour, int dash) {
        BasicStroke stroke() {
            float[] d = DASHES[dash];
            return d == null ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, d, 0f);
        }
    }

    /**
     * One style per line, no two alike (up to {@code PALETTE.length * DASHES.length} lines): each line keeps its colour
     * from {@code colours} by name (the same configuration the same colour in every plot; else the palette's by
     * position) and takes the first dash pattern not yet drawn in that colour; if that colour has none left, the
     * first palette colour and pattern not yet drawn.
     */
    static List<LineStyle> lineStyles(List<String> names, Map<String, Color> colours) {
        java.util.Set<LineStyle> used = new java.util.HashSet<>();
        List<LineStyle> out = new java.util.ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Color preferred = colours == null ? null : colours.get(names.get(i));
            if (preferred == null) {
                preferred = PALETTE[i % PALETTE.length];
            }
            LineStyle style = null;
            for (int d = 0; d < DASHES.length && style == null; d++) {
                LineStyle candidate = new LineStyle(preferred, d);
                style = used.contains(candidate) ? null : candidate;
            }
            for (int k = 0; k < PALETTE.length * DASHES.length && style == null; k++) {
                LineStyle candidate = new LineStyle(PALETTE[k % PALETTE.length], k / PALETTE.length);
                style = used.contains(candidate) ? null : candidate;
            }
            style = style == null ? new LineStyle(preferred, 0) : style;
            used.add(style);
            out.add(style);
        }
        return out;
    }

    /** Series take their colour from {@code colours} by name (the same configuration looks the same in every plot). */
    private static void colour(XYLineAndShapeRenderer renderer, org.jfree.data.xy.XYDataset data, Map<String, Color> colours,
                               Shape shape) {
        renderer.setDrawOutlines(false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            Color c = colours.get(String.valueOf(data.getSeriesKey(i)));
            renderer.setSeriesPaint(i, c != null ? c : PALETTE[i % PALETTE.length]);
            renderer.setSeriesShape(i, shape);
        }
    }

    /** How many lines a label may move down to clear the labels placed before it; further down it is left out. */
    static final int LABEL_TRIES = 3;

    private static void label(XYPlot plot, List<Point> points) {
        label(plot, points, List.of());
    }

    /**
     * Labels beside their points ({@code first} placed before the rest), moved down in steps of a line where they
     * would overlap a label already placed (positions estimated in the axes' units from the data range: exact layout
     * is only known while drawing), with a thin leader line back to a moved label's point. A label that still
     * overlaps after {@link #LABEL_TRIES} lines is left out rather than piled onto the others (a crowded cluster is
     * unreadable either way; the table beside the plot names every point). Points in the right third of the plot
     * are labelled on their left, so their labels are not cut off at the plot's edge.
     */
    private static void label(XYPlot plot, List<Point> points, List<Point> first) {
        double xMin = Math.min(points.stream().mapToDouble(Point::x).min().orElse(0), 0);
        double xMax = Math.max(points.stream().mapToDouble(Point::x).max().orElse(1), 0);
        double xSpan = (xMax - xMin) * 1.35;
        double ySpan = plot.getRangeAxis().getRange().getLength();
        double charWidth = (xSpan <= 0 ? 1 : xSpan) * 5.6 / 470;
        double lineHeight = ySpan * 13 / 300;
        double rightThird = xMin + (xMax - xMin) * 2 / 3;
        List<double[]> placed = new ArrayList<>();
        java.util.Comparator<Point> topDown = java.util.Comparator.comparingDouble(Point::y).reversed()
                .thenComparingDouble(Point::x);
        List<Point> order = new ArrayList<>(first.stream().filter(points::contains).sorted(topDown).toList());
        points.stream().filter(p -> !order.contains(p)).sorted(topDown).forEach(order::add);
        for (Point p : order) {
            double width = (p.label().length() + 1) * charWidth;
            boolean left = xMax > xMin && p.x() > rightThird;
            double x0 = left ? p.x() - charWidth - width : p.x();
            double y = p.y();
            int tries = 0;
            while (tries < LABEL_TRIES && overlaps(placed, x0, y, width, lineHeight)) {
                y -= lineHeight;
                tries++;
            }
            if (overlaps(placed, x0, y, width, lineHeight)) {
                continue;
            }
            placed.add(new double[]{x0, y, width});
            XYTextAnnotation a = new XYTextAnnotation(left ? p.label() + " " : " " + p.label(),
                    left ? p.x() - charWidth : p.x() + charWidth, y);
            a.setFont(SMALL);
            a.setPaint(INK);
            a.setTextAnchor(left ? TextAnchor.HALF_ASCENT_RIGHT : TextAnchor.HALF_ASCENT_LEFT);
            plot.addAnnotation(a);
            if (tries > 0) {
                plot.addAnnotation(new org.jfree.chart.annotations.XYLineAnnotation(p.x(), p.y(),
                        left ? p.x() - charWidth : p.x() + charWidth, y, new BasicStroke(0.6f), new Color(0x999999)));
            }
        }
    }

    private static boolean overlaps(List<double[]> placed, double x, double y, double width, double height) {
        for (double[] b : placed) {
            if (Math.abs(b[1] - y) < height && x < b[0] + b[2] && b[0] < x + width) {
                return true;
            }
        }
        return false;
    }

    private static String oneDecimal(double d) {
        long tenths = Math.round(d * 10);
        return tenths % 10 == 0 ? Long.toString(tenths / 10) : Double.toString(tenths / 10.0);
    }

    private static String fourDecimals(double d) {
        return String.format(java.util.Locale.ROOT, "%.4f", d);
    }

    static Figure svg(JFreeChart chart, int width, int height) {
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        g2.setDefsKeyPrefix("q" + IDS.incrementAndGet() + "_");
        // a tenth of a pixel is finer than any screen shows; the default 16 digits triple the file
        g2.setGeomDoubleConverter(Charts::oneDecimal);
        g2.setTransformDoubleConverter(Charts::fourDecimals);
        chart.draw(g2, new Rectangle(0, 0, width, height));
        return new Figure(g2.getSVGElement(null, false, new ViewBox(0, 0, width, height), null, null), width, height);
    }
}
