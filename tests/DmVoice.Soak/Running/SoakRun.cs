using System.Diagnostics;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Faults;
using DmVoice.Soak.Load;
using DmVoice.Soak.Reporting;

namespace DmVoice.Soak.Running;

/// <summary>
/// One soak from start to verdict: cluster up, users signed in, load and faults for the duration, the
/// cluster healed, a quiet period, the final state read until it holds still, then the invariants.
/// </summary>
public sealed class SoakRun(SoakOptions options)
{
    private static readonly TimeSpan MinPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(1200);

    private readonly SoakTimings _timings = new();
    private readonly Journal _journal = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task<SoakReport> RunAsync()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var plan = options.Faults
            ? FaultPlan.Make(options.Seed, options.Duration, firstAfter: TimeSpan.FromSeconds(4), lastBefore: TimeSpan.FromSeconds(2), minGap: TimeSpan.FromSeconds(3))
            : [];
        Progress.Say($"seed {options.Seed}, {options.Delivery} delivery, {options.Users} users, {options.Duration.TotalSeconds:0} s of load, {plan.Count} faults planned:");
        foreach (var fault in plan)
        {
            Progress.Say($"  {fault}");
        }

        var progress = new Progress(_journal, _clock);
        using var stopProgress = new CancellationTokenSource();
        var progressLoop = progress.RunAsync(stopProgress.Token);

        Progress.Say("starting redis-server, two silos, two gateways and the load balancer");
        await using var cluster = await SoakCluster.StartAsync(options.Delivery, _timings);
        Progress.Say($"cluster up in {_clock.Elapsed.TotalSeconds:0} s; logs in {cluster.Cluster.LogDirectory}");

        var users = new List<SimUser>();
        try
        {
            for (var i = 0; i < options.Users; i++)
            {
                var api = await Clients.SoakApi.SignInAsync(cluster.Balancer.Address, $"soak{options.Seed}-u{i:00}", _journal, CancellationToken.None);
                users.Add(new SimUser(api, cluster.Balancer.Address, _journal));
            }

            await Task.WhenAll(users.Select(u => u.ConnectAsync(0)));
            await LoadAndFaultsAsync(cluster, users, plan, progress);

            progress.Phase = "healing";
            await cluster.HealAsync();
            progress.Phase = "quiet";
            await WaitForDevicesAsync(users);
            await Task.Delay(_timings.Settle);

            progress.Phase = "checking";
            var result = await CheckAsync(users);
            Progress.Say(progress.Line());
            return new SoakReport
            {
                Options = options,
                StartedAt = startedAt,
                WallTime = _clock.Elapsed,
                Plan = plan,
                Faults = _journal.Faults,
                Operations = _journal.Operations,
                Events = _journal.EventCount,
                ReceivedEvents = _journal.Events,
                Result = result,
            };
        }
        finally
        {
            await stopProgress.CancelAsync();
            await progressLoop;
            foreach (var user in users)
            {
                await user.DisposeAsync();
            }
        }
    }

    private async Task LoadAndFaultsAsync(SoakCluster cluster, List<SimUser> users, IReadOnlyList<PlannedFault> plan, Progress progress)
    {
        progress.Phase = "load";
        using var stop = new CancellationTokenSource(options.Duration);
        var sinceStart = Stopwatch.StartNew();
        // Few rooms for many users: joins, moves, rings and membership changes meet in the same rooms.
        var runner = new IntentRunner(users, new World(), _journal, maxRooms: options.Users * 3 / 2);
        var injector = new FaultInjector(cluster, users, _journal);
        progress.Faults = injector;
        var loops = users.Select((user, index) => UserLoopAsync(runner, user, new Random(unchecked(options.Seed * 1_000_003 + index)), stop.Token)).ToList();
        loops.Add(injector.RunAsync(plan, sinceStart, stop.Token));
        await Task.WhenAll(loops);
        Progress.Say($"load and faults stopped after {sinceStart.Elapsed.TotalSeconds:0} s: {_journal.OperationCount} operations, {_journal.FaultCount} faults");
    }

    private static async Task UserLoopAsync(IntentRunner runner, SimUser user, Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var intent = Intent.Draw(random, MinPause, MaxPause);
            try
            {
                await Task.Delay(intent.Pause, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await runner.RunAsync(user, intent);
        }
    }

    /// <summary>Every device that is still open reconnects and syncs (or has given up), and has applied all it received.</summary>
    private static async Task WaitForDevicesAsync(List<SimUser> users)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !users.SelectMany(u => u.Devices).All(d => d.IsLiveAndSynced && d.IsIdle))
        {
            await Task.Delay(250);
        }

        await WaitUntilIdleAsync(users);

        var behind = users.SelectMany(u => u.Devices).Where(d => !d.IsLiveAndSynced).Select(d => $"{d.DeviceId} ({d.State})").ToList();
        if (behind.Count > 0)
        {
            Progress.Say($"not live after the quiet period (their views are not compared): {string.Join(", ", behind)}");
        }
    }

    /// <summary>Every device has applied what it received (reads after gaps included), or 30 s have passed.</summary>
    private static async Task WaitUntilIdleAsync(List<SimUser> users)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !users.SelectMany(u => u.Devices).All(d => d.IsIdle))
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Reads the final state until two reads agree and every device has applied what it received, then checks.</summary>
    private async Task<CheckResult> CheckAsync(List<SimUser> users)
    {
        var reader = new FinalStateReader(users);
        var state = await reader.ReadAsync(CancellationToken.None);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            await WaitUntilIdleAsync(users);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var again = await reader.ReadAsync(CancellationToken.None);
            var stable = again.Fingerprint == state.Fingerprint;
            state = again;
            if (stable)
            {
                break;
            }

            Progress.Say("the final state still changed between two reads; reading again");
        }

        await WaitUntilIdleAsync(users);
        var evidence = new SoakEvidence
        {
            CheckedAt = DateTimeOffset.UtcNow,
            PresenceWindow = _timings.PresenceWindow,
            Rooms = state.Rooms,
            ActiveCalls = state.ActiveCalls,
            Devices = _journal.Devices,
            History = state.History,
            CallIdsSeen = _journal.CallIdsSeen,
            Events = _journal.Events,
            Operations = _journal.Operations,
            Regressions = _journal.Regressions,
            DeviceViews = users.SelectMany(u => u.Devices).Select(d => d.Final()).ToList(),
            UncertainMemberships = _journal.UncertainMemberships,
        };
        var result = InvariantChecker.Check(evidence);
        Progress.Say($"checked {string.Join(", ", result.Checked.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}: {result.Violations.Count} violation(s)");
        return result;
    }
}
