using System.Diagnostics;
using DmVoice.Soak.Faults;
using DmVoice.Soak.Running;

namespace DmVoice.Soak.Reporting;

/// <summary>A line on the terminal every few seconds: phase, operations and their answers, events, faults.</summary>
public sealed class Progress(Journal journal, Stopwatch clock)
{
    public FaultInjector? Faults { get; set; }

    public string Phase { get; set; } = "starting";

    public static void Say(string text) => Console.WriteLine($"[soak {DateTime.UtcNow:HH:mm:ss}] {text}");

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Say(Line());
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    public string Line()
    {
        var operations = journal.Operations;
        var ok = operations.Count(o => o.Status is >= 200 and < 300);
        var refused = operations.Count(o => o.Status is >= 400 and < 500);
        var unavailable = operations.Count(o => o.Status == 503);
        var unanswered = operations.Count(o => o.Status == 0);
        var fault = Faults?.Current is { } current ? $", now: {current}" : string.Empty;
        return $"{Phase} {clock.Elapsed:mm\\:ss} | operations {operations.Count} (2xx {ok}, 4xx {refused}, 503 {unavailable}, no answer {unanswered}) " +
               $"| events {journal.EventCount} | faults {journal.FaultCount}{fault}";
    }
}
