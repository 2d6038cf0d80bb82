namespace DmVoice.Soak.Checking;

/// <summary>
/// Every call that ended is in its DM's history exactly once, as its end was announced; every call seen
/// that is not live any more has ended.
/// </summary>
public static class HistoryChecks
{
    public const string HistoryOnce = "history_once";
    public const string HistoryConsistent = "history_consistent";
    public const string EndedCallMissing = "ended_call_missing_from_history";

    public static void Run(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        foreach (var (dmId, records) in evidence.History)
        {
            foreach (var twice in records.GroupBy(r => r.CallId).Where(g => g.Count() > 1))
            {
                violations.Add(new Violation(HistoryOnce, $"call {twice.Key} is {twice.Count()} times in the history of {dmId}"));
            }

            foreach (var record in records)
            {
                counts.Count("history records");
                foreach (var outcome in record.Outcomes.GroupBy(o => o.UserId).Where(g => g.Count() > 1))
                {
                    violations.Add(new Violation(HistoryConsistent, $"call {record.CallId} in {dmId} gives {outcome.Key} {outcome.Count()} outcomes"));
                }
            }

            var live = evidence.Rooms.GetValueOrDefault(dmId)?.CallId;
            if (live is not null && records.Any(r => r.CallId == live))
            {
                violations.Add(new Violation(HistoryConsistent, $"call {live} of {dmId} is live and in its history"));
            }
        }

        CheckAnnouncedEnds(evidence, violations);
        CheckEveryCallEndedOrLive(evidence, violations, counts);
    }

    private static void CheckAnnouncedEnds(SoakEvidence evidence, List<Violation> violations)
    {
        var announced = evidence.Events.Where(e => e.Name == "dmVoiceCallEnded" && e.Record is not null).GroupBy(e => e.CallId);
        foreach (var end in announced)
        {
            var first = end.First();
            var records = end.Select(e => Describe(e.Record!)).Distinct().ToList();
            if (records.Count > 1)
            {
                violations.Add(new Violation(HistoryConsistent, $"the end of call {end.Key} in {first.RoomId} was announced differently: {string.Join(" / ", records)}"));
            }

            if (evidence.Rooms.GetValueOrDefault(first.RoomId)?.CallId == end.Key)
            {
                violations.Add(new Violation(HistoryConsistent, $"call {end.Key} of {first.RoomId} was announced ended but is live at the end"));
            }

            if (!evidence.History.TryGetValue(first.RoomId, out var history))
            {
                continue;
            }

            var stored = history.FirstOrDefault(r => r.CallId == end.Key);
            if (stored is null)
            {
                violations.Add(new Violation(EndedCallMissing, $"call {end.Key} of {first.RoomId} was announced ended ({first.Record!.EndReason}) but is not in its history"));
            }
            else if (Describe(stored) != records[0])
            {
                violations.Add(new Violation(HistoryConsistent, $"call {end.Key} of {first.RoomId}: announced {records[0]}, stored {Describe(stored)}"));
            }
        }
    }

    private static void CheckEveryCallEndedOrLive(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        foreach (var (dmId, callIds) in evidence.CallIdsSeen)
        {
            if (!evidence.History.TryGetValue(dmId, out var history))
            {
                continue;
            }

            var live = evidence.Rooms.GetValueOrDefault(dmId)?.CallId;
            var stored = history.Select(r => r.CallId).ToHashSet();
            foreach (var callId in callIds.Where(c => c != live))
            {
                counts.Count("calls seen that ended");
                if (!stored.Contains(callId))
                {
                    violations.Add(new Violation(EndedCallMissing, $"call {callId} of {dmId} was seen, is not live, and is not in the history"));
                }
            }
        }
    }

    private static string Describe(CallRecordFact record) =>
        $"{record.EndReason}; joined [{string.Join(", ", record.Participants.Order())}]; " +
        $"outcomes [{string.Join(", ", record.Outcomes.OrderBy(o => o.UserId).Select(o => $"{o.UserId}={o.Outcome}"))}]";
}
