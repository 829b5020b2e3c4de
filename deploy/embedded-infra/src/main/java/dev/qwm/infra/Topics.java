package dev.qwm.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The topics of qwm and their partition counts. Episode topics get enough partitions for a planner fleet:
 * a consumer group can have at most as many active workers as the topic has partitions.
 */
public final class Topics {

    public static final String STUDY_SUBMITTED = "qwm.studies.study-submitted.v1";
    public static final String EPISODE_REQUESTED = "qwm.planner.episode-requested.v1";
    public static final String EPISODE_PROGRESS = "qwm.planner.episode-progress.v1";
    public static final String EPISODE_COMPLETED = "qwm.planner.episode-completed.v1";
    public static final String ARTIFACT_CREATED = "qwm.quantizer.artifact-created.v1";
    /** Episode requests the planner cannot plan, with the reason in a header; the collector reads them. */
    public static final String EPISODE_REQUESTED_DLQ = EPISODE_REQUESTED + ".dlq";

    /** Planner workers that can consume episode requests in parallel. */
    public static final int PLANNER_PARTITIONS = 16;

    public record TopicSpec(String name, int partitions) {
    }

    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(STUDY_SUBMITTED, 1),
            new TopicSpec(EPISODE_REQUESTED, PLANNER_PARTITIONS),
            new TopicSpec(EPISODE_PROGRESS, PLANNER_PARTITIONS),
            new TopicSpec(EPISODE_COMPLETED, PLANNER_PARTITIONS),
            new TopicSpec(ARTIFACT_CREATED, 1),
            new TopicSpec(EPISODE_REQUESTED_DLQ, 1));

    private Topics() {
    }

    /**
     * Creates the topics that do not exist yet (existing ones are left as they are) and waits until every partition
     * of every qwm topic has a leader that serves requests. Returns the names created.
     */
    public static Set<String> ensure(String bootstrapServers) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = ALL.stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), (short) 1))
                    .collect(Collectors.toList());
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            }
            awaitLeaders(admin, Duration.ofSeconds(60));
            return missing.stream().map(NewTopic::name).collect(Collectors.toSet());
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the qwm topics on " + bootstrapServers + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * createTopics returns once the controller has recorded the topics; the broker learns the partition leaders from
     * the metadata log a little later (much later on a loaded machine), and takes writes later still. A producer that
     * sends in between can be stuck on one partition until its delivery timeout, so callers get the topics only once
     * every partition's leader answers.
     */
    private static void awaitLeaders(Admin admin, Duration timeout)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> names = ALL.stream().map(TopicSpec::name).collect(Collectors.toList());
        while (true) {
            List<String> leaderless = new ArrayList<>();
            Map<String, TopicDescription> described;
            try {
                described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException notYetKnown) {
                described = Map.of(); // the broker's metadata does not hold every topic yet
                leaderless.add(notYetKnown.getCause().getMessage());
            }
            for (TopicDescription d : described.values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() == null || p.leader().isEmpty()) {
                        leaderless.add(d.name() + "-" + p.partition());
                    }
                }
            }
            if (leaderless.isEmpty() && described.size() == names.size()) {
                // A leader in the metadata is not yet a leader that takes writes: the broker becomes one when it
                // applies the metadata record. Until then a produce gets NOT_LEADER_OR_FOLLOWER, after which an
                // idempotent producer was seen stuck on OUT_OF_ORDER_SEQUENCE_NUMBER until its batch expired
                // (CI, CollectorRestartIT). Asking every leader for its end offset succeeds only once it serves.
                Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                for (TopicDescription d : described.values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        ends.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                try {
                    admin.listOffsets(ends).all().get(30, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException notServingYet) {
                    leaderless.add("not serving yet: " + notServingYet.getCause().getMessage());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the Kafka broker has no leader for " + leaderless + " after " + timeout);
            }
            Thread.sleep(100);
        }
    }
}
