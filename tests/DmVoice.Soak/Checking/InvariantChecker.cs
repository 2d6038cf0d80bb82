namespace DmVoice.Soak.Checking;

/// <summary>Runs every invariant over the evidence of one soak and collects what broke.</summary>
public static class InvariantChecker
{
    /// <summary>The invariants, by the name a violation carries.</summary>
    public static readonly IReadOnlyList<string> Invariants =
    [
        PresenceChecks.OneCallPerUser, PresenceChecks.UserAndRoomAgree, PresenceChecks.GhostParticipant,
        RingChecks.RingEndedOnce, RingChecks.RingNeverEnded,
        VersionChecks.DeviceVersion, VersionChecks.DevicePresence, VersionChecks.VersionBackwards, VersionChecks.VersionReused,
        HistoryChecks.HistoryOnce, HistoryChecks.HistoryConsistent, HistoryChecks.EndedCallMissing,
        ResponseChecks.No500, ResponseChecks.RetryAfter,
    ];

    public static CheckResult Check(SoakEvidence evidence)
    {
        var violations = new List<Violation>();
        var counts = new Dictionary<string, int>();
        PresenceChecks.Run(evidence, violations, counts);
        RingChecks.Run(evidence, violations, counts);
        VersionChecks.Run(evidence, violations, counts);
        HistoryChecks.Run(evidence, violations, counts);
        ResponseChecks.Run(evidence, violations, counts);
        return new CheckResult(violations, counts);
    }

    internal static void Count(this Dictionary<string, int> counts, string what, int by = 1) =>
        counts[what] = counts.GetValueOrDefault(what) + by;
}
