using System.Text;
using System.Text.Json;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Faults;
using DmVoice.Soak.Running;

namespace DmVoice.Soak.Reporting;

/// <summary>The figures of one run, written as Markdown for people and JSON for tools.</summary>
public sealed record SoakReport
{
    public required SoakOptions Options { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required TimeSpan WallTime { get; init; }

    public required IReadOnlyList<PlannedFault> Plan { get; init; }

    public required IReadOnlyList<FaultRecord> Faults { get; init; }

    public required IReadOnlyList<OperationRecord> Operations { get; init; }

    public required int Events { get; init; }

    public required CheckResult Result { get; init; }

    /// <summary>Every event every device received, for looking into a violation (written as <c>&lt;out&gt;.events.jsonl</c>).</summary>
    public IReadOnlyList<Checking.ObservedEvent> ReceivedEvents { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Write(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path + ".md", Markdown());
        File.WriteAllText(path + ".json", JsonSerializer.Serialize(Figures(), Json));
        using var events = new StreamWriter(path + ".events.jsonl");
        var compact = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        foreach (var received in ReceivedEvents)
        {
            events.WriteLine(JsonSerializer.Serialize(received, compact));
        }
    }

    public object Figures() => new
    {
        seed = Options.Seed,
        delivery = Options.Delivery,
        users = Options.Users,
        durationSeconds = Options.Duration.TotalSeconds,
        wallSeconds = Math.Round(WallTime.TotalSeconds),
        startedAt = StartedAt,
        replay = Options.ReplayCommand,
        passed = Result.Passed,
        operations = new
        {
            total = Operations.Count,
            ok = Operations.Count(o => o.Status is >= 200 and < 300),
            refused = Operations.Count(o => o.Status is >= 400 and < 500),
            unavailable503 = Operations.Count(o => o.Status == 503),
            noAnswer = Operations.Count(o => o.Status == 0),
            errors5xx = Operations.Count(o => o.Status >= 500 && o.Status != 503),
            byOperation = Operations.GroupBy(o => o.Operation).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.GroupBy(o => o.Status).OrderBy(s => s.Key).ToDictionary(s => s.Key.ToString(), s => s.Count())),
        },
        events = Events,
        faults = new
        {
            planned = Plan.Count,
            done = Faults.Count,
            failed = Faults.Count(f => f.Error is not null),
            byKind = Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            list = Faults,
        },
        checks = Result.Checked,
        violations = Result.Violations,
        violationsByInvariant = Result.Violations.GroupBy(v => v.Invariant).ToDictionary(g => g.Key, g => g.Count()),
    };

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine($"# Soak report: seed {Options.Seed}, {Options.Delivery} delivery, {Options.Duration.TotalSeconds:0} s").AppendLine();
        md.AppendLine($"**{(Result.Passed ? "Passed" : $"FAILED: {Result.Violations.Count} violation(s)")}.** Started {StartedAt:yyyy-MM-dd HH:mm:ss} UTC, {WallTime.TotalSeconds:0} s in all, {Options.Users} users.").AppendLine();
        md.AppendLine($"Replay: `{Options.ReplayCommand}`").AppendLine();

        md.AppendLine("## Operations").AppendLine();
        md.AppendLine("| Operation | Total | 2xx | 4xx | 503 | No answer | Other 5xx |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in Operations.GroupBy(o => o.Operation).OrderBy(g => g.Key))
        {
            md.AppendLine(Row(group.Key, [.. group]));
        }

        md.AppendLine(Row("**All**", Operations)).AppendLine();
        md.AppendLine($"Events received by devices: {Events}.").AppendLine();
        var unusual = Operations.Where(o => o.Detail is not null && o.Status != 200).GroupBy(o => $"{o.Operation}: {o.Detail}").OrderByDescending(g => g.Count()).ToList();
        if (unusual.Count > 0)
        {
            md.AppendLine("Hub calls that failed and connections closed for good, by message:").AppendLine();
            foreach (var group in unusual.Take(30))
            {
                md.AppendLine($"- {group.Count()} × {group.Key}");
            }

            md.AppendLine();
        }

        md.AppendLine("## Faults").AppendLine();
        md.AppendLine("| Kind | Done | Could not be done |").AppendLine("| --- | ---: | ---: |");
        foreach (var kind in Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key))
        {
            md.AppendLine($"| {kind.Key} | {kind.Count()} | {kind.Count(f => f.Error is not null)} |");
        }

        md.AppendLine().AppendLine("<details><summary>Every fault</summary>").AppendLine();
        foreach (var fault in Faults)
        {
            md.AppendLine($"- {fault.At:HH:mm:ss} {fault.Kind} {fault.Target} for {fault.Seconds:0.0} s{(fault.Error is null ? string.Empty : $" (failed: {fault.Error})")}");
        }

        md.AppendLine().AppendLine("</details>").AppendLine();
        md.AppendLine("## Checks").AppendLine();
        foreach (var (what, count) in Result.Checked.OrderBy(c => c.Key))
        {
            md.AppendLine($"- {what}: {count}");
        }

        md.AppendLine().AppendLine("## Violations").AppendLine();
        if (Result.Passed)
        {
            md.AppendLine("None.");
        }

        foreach (var invariant in Result.Violations.GroupBy(v => v.Invariant))
        {
            md.AppendLine($"### {invariant.Key} ({invariant.Count()})").AppendLine();
            foreach (var violation in invariant.Take(50))
            {
                md.AppendLine($"- {violation.Detail}");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    private static string Row(string name, IReadOnlyCollection<OperationRecord> operations) =>
        $"| {name} | {operations.Count} | {operations.Count(o => o.Status is >= 200 and < 300)} | {operations.Count(o => o.Status is >= 400 and < 500)} " +
        $"| {operations.Count(o => o.Status == 503)} | {operations.Count(o => o.Status == 0)} | {operations.Count(o => o.Status >= 500 && o.Status != 503)} |";
}
