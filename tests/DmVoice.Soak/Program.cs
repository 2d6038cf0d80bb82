using DmVoice.Soak.Reporting;
using DmVoice.Soak.Running;

// The fault soak's entry point: parse, run, report, and exit 0 (passed), 1 (violations) or 2 (the run failed).
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(SoakOptions.Usage);
    return 0;
}

try
{
    var report = await new SoakRun(options).RunAsync();
    report.Write(options.Out);
    Progress.Say($"report: {Path.GetFullPath(options.Out)}.md and .json");
    if (report.Result.Passed)
    {
        Progress.Say($"PASSED: seed {options.Seed}, {options.Delivery} delivery, {report.Operations.Count} operations, {report.Faults.Count} faults, no violation");
        return 0;
    }

    foreach (var violation in report.Result.Violations.Take(20))
    {
        Progress.Say($"VIOLATION {violation.Invariant}: {violation.Detail}");
    }

    Progress.Say($"FAILED: {report.Result.Violations.Count} violation(s) with seed {options.Seed}. Replay: {options.ReplayCommand}");
    return 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"The soak could not run to its end: {ex}");
    Console.Error.WriteLine($"Seed {options.Seed}. Replay: {options.ReplayCommand}");
    return 2;
}
