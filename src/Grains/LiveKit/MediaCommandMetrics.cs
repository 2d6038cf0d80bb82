using System.Diagnostics.Metrics;

namespace DmVoice.Grains.LiveKit;

/// <summary>
/// What became of the RoomService commands calls owe LiveKit, and how long each had been owed when it
/// was tried. A process-wide meter: <see cref="MediaCommands"/> is static, and each silo is a process.
/// </summary>
public static class MediaCommandMetrics
{
    public const string MeterName = "DmVoice.LiveKit";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "dmvoice.livekit.command.attempts",
        description: "RoomService commands tried, by kind (remove_participant, delete_room) and outcome (done, retry, refused, gave_up)");

    private static readonly Histogram<double> Age = Meter.CreateHistogram(
        "dmvoice.livekit.command.age",
        unit: "s",
        description: "How long a RoomService command had been owed when it was tried, by kind and outcome",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600] });

    /// <summary>
    /// Records 0 for every kind and outcome, so the first give-up shows as an increase. Called once the host
    /// has started: a measurement made before the exporter listens is lost.
    /// </summary>
    public static void Prime()
    {
        foreach (var kind in new[] { "remove_participant", "delete_room" })
        {
            foreach (var outcome in new[] { "done", "retry", "refused", "gave_up" })
            {
                Attempts.Add(0, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
            }
        }
    }

    /// <summary>One attempt at <paramref name="command"/> and what came of it.</summary>
    public static void Attempted(MediaCommand command, string outcome, DateTimeOffset now)
    {
        var kind = new KeyValuePair<string, object?>("kind", command.Kind == MediaCommandKind.RemoveParticipant ? "remove_participant" : "delete_room");
        var result = new KeyValuePair<string, object?>("outcome", outcome);
        Attempts.Add(1, kind, result);
        Age.Record(Math.Max(0, (now - command.QueuedAt).TotalSeconds), kind, result);
    }
}
