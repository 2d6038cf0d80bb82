namespace DmVoice.Soak.Checking;

/// <summary>
/// Every ring ends exactly once with one outcome. The one documented exception: a dismissed ring stops
/// for its recipient (<c>dismissed</c>, their devices only) and later, once, for everyone else (the
/// expiry's <c>missed</c>, or <c>cancelled</c> when the call ends first). A ring left listed after its
/// expiry never ended.
/// </summary>
public static class RingChecks
{
    public const string RingEndedOnce = "ring_ended_once";
    public const string RingNeverEnded = "ring_never_ended";

    private const string Dismissed = "dismissed";

    public static void Run(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        var stops = evidence.Events.Where(e => e.Name == "dmVoiceRingStopped" && e.RingId is not null).ToList();
        foreach (var ring in stops.GroupBy(e => e.RingId!))
        {
            counts.Count("rings ended");
            var recipient = ring.First().SubjectUserId;
            var announced = ring.Where(e => e.Outcome != Dismissed).Select(e => (e.Version, e.Outcome)).Distinct().ToList();
            if (announced.Count > 1)
            {
                violations.Add(new Violation(RingEndedOnce, $"ring {ring.Key} of {recipient} in {ring.First().RoomId} ended {announced.Count} times: {string.Join(", ", announced.Select(a => $"{a.Outcome} at version {a.Version}"))}"));
            }

            var dismissals = ring.Where(e => e.Outcome == Dismissed).ToList();
            if (dismissals.Select(e => e.Version).Distinct().Count() > 1)
            {
                violations.Add(new Violation(RingEndedOnce, $"ring {ring.Key} of {recipient} was dismissed at versions {string.Join(", ", dismissals.Select(e => e.Version).Distinct())}"));
            }

            foreach (var stranger in dismissals.Where(e => e.UserId != recipient))
            {
                violations.Add(new Violation(RingEndedOnce, $"ring {ring.Key} of {recipient}: device {stranger.DeviceId} of {stranger.UserId} heard its dismissal, which only the recipient's devices may"));
            }

            if (dismissals.Count > 0)
            {
                foreach (var late in ring.Where(e => e.Outcome != Dismissed && e.UserId == recipient))
                {
                    violations.Add(new Violation(RingEndedOnce, $"ring {ring.Key}: the recipient's device {late.DeviceId} heard it end again ({late.Outcome}) after dismissing it"));
                }
            }
        }

        var ended = stops.Select(e => e.RingId!).ToHashSet();
        foreach (var room in evidence.Rooms.Values)
        {
            foreach (var ring in room.Ringing)
            {
                counts.Count("rings listed at the end");
                if (ring.ExpiresAt + evidence.RingExpirySlack < evidence.CheckedAt)
                {
                    violations.Add(new Violation(RingNeverEnded, $"ring {ring.RingId} of {ring.UserId} in {room.RoomId} is still listed {(evidence.CheckedAt - ring.ExpiresAt).TotalSeconds:0.0} s after it expired"));
                }
                else if (ended.Contains(ring.RingId))
                {
                    violations.Add(new Violation(RingEndedOnce, $"ring {ring.RingId} of {ring.UserId} in {room.RoomId} is still listed after devices heard it end"));
                }
            }
        }
    }
}
