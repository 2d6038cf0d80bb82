namespace DmVoice.Soak.Faults;

public enum FaultKind
{
    /// <summary>SIGKILL a silo, then start it again.</summary>
    SiloKill,

    /// <summary>SIGKILL a gateway (its clients reconnect through the balancer to the other), then start it again.</summary>
    GatewayKill,

    /// <summary>SIGSTOP a silo or a gateway, then SIGCONT.</summary>
    ProcessPause,

    /// <summary><c>CLIENT PAUSE … WRITE</c>: Redis holds every write for a while.</summary>
    RedisWritePause,

    /// <summary>SIGSTOP redis-server, then SIGCONT.</summary>
    RedisFreeze,

    /// <summary>SIGKILL redis-server, then start it again with its data.</summary>
    RedisRestart,

    /// <summary>A device stops reading its connection for a while.</summary>
    ClientStall,
}

/// <summary>
/// One fault of the schedule: when (from the start of the load), what, on which target (an index among
/// the processes of that kind, or among the connected devices when it runs), and for how long.
/// </summary>
public sealed record PlannedFault(TimeSpan At, FaultKind Kind, int Target, TimeSpan Length)
{
    public override string ToString() => $"{At.TotalSeconds,6:0.0}s {Kind} #{Target} for {Length.TotalSeconds:0.0}s";
}

/// <summary>The fault schedule, made from the seed alone: the same seed and duration give the same faults at the same moments.</summary>
public static class FaultPlan
{
    private static readonly (FaultKind Kind, double Weight, double MinSeconds, double MaxSeconds)[] Kinds =
    [
        (FaultKind.SiloKill, 2, 1, 4),
        (FaultKind.GatewayKill, 2, 1, 4),
        (FaultKind.ProcessPause, 2, 1, 6),
        (FaultKind.RedisWritePause, 1.5, 1, 4),
        (FaultKind.RedisFreeze, 1, 1, 3),
        (FaultKind.RedisRestart, 1, 0.5, 2),
        (FaultKind.ClientStall, 1.5, 2, 8),
    ];

    /// <summary>
    /// Faults one after another, from <paramref name="firstAfter"/> until <paramref name="lastBefore"/> before
    /// the end, with a pause of <paramref name="minGap"/> to twice that between the end of one and the next.
    /// </summary>
    public static IReadOnlyList<PlannedFault> Make(int seed, TimeSpan duration, TimeSpan firstAfter, TimeSpan lastBefore, TimeSpan minGap)
    {
        var random = new Random(unchecked(seed * 7919 + 17));
        var total = Kinds.Sum(k => k.Weight);
        var plan = new List<PlannedFault>();
        var at = firstAfter;
        while (true)
        {
            var roll = random.NextDouble() * total;
            var chosen = Kinds[^1];
            foreach (var kind in Kinds)
            {
                if (roll < kind.Weight)
                {
                    chosen = kind;
                    break;
                }

                roll -= kind.Weight;
            }

            var length = TimeSpan.FromSeconds(chosen.MinSeconds + (chosen.MaxSeconds - chosen.MinSeconds) * random.NextDouble());
            var target = random.Next(1 << 20);
            var gap = minGap * (1 + random.NextDouble());
            if (at + length > duration - lastBefore)
            {
                return plan;
            }

            plan.Add(new PlannedFault(at, chosen.Kind, target, length));
            at += length + gap;
        }
    }
}
