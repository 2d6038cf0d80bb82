using Microsoft.Extensions.Logging.Abstractions;

namespace DmVoice.Rules.Tests;

/// <summary>How a member answers when a call asks them before ringing: free or busy elsewhere, and their ring verdict.</summary>
public sealed record Answer(bool Busy = false, RingVerdict Verdict = RingVerdict.Ring);

/// <summary>
/// One DM's call driven the way its grain drives it, without the grain: each command goes to the rules
/// at the harness's time, and then the outbox is "committed" (taken and kept as what was published).
/// The members' answers before a start or a re-ring are what <see cref="Answers"/> says.
/// </summary>
public sealed class DmCallHarness
{
    public const string DmId = "dm1";

    public DmCallHarness(IReadOnlyList<string> members, CallOptions? options = null)
    {
        Options = options ?? new CallOptions { EmptyCallGrace = TimeSpan.FromSeconds(10), RingTimeout = TimeSpan.FromSeconds(30) };
        State = new DmCallState { Known = true, Members = [.. members], IsGroup = members.Count > 2 };
        Dm = new DmCallRules(DmId, State, History, Options, null, NullLogger.Instance);
        Room = new RoomRules(State, Dm, Options, new MediaTracker(enabled: true, () => MediaNow));
    }

    public CallOptions Options { get; }

    public DmCallState State { get; }

    public CallHistoryState History { get; } = new();

    public DmCallRules Dm { get; }

    public RoomRules Room { get; }

    public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public DateTimeOffset MediaNow { get; set; } = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public Dictionary<string, Answer> Answers { get; } = new(StringComparer.Ordinal);

    /// <summary>Every outbox the rules produced, in order, as the grain would carry them out.</summary>
    public List<RoomOutbox> Committed { get; } = [];

    public IEnumerable<(VoiceEvent Event, string[] Audience)> Published => Committed.SelectMany(o => o.Events);

    public IEnumerable<T> EventsOf<T>() where T : VoiceEvent => Published.Select(p => p.Event).OfType<T>();

    private long _session;

    public RoomJoin Join(string userId, string? deviceId = null, bool muted = false)
    {
        RoomStart? start = null;
        if (State.Call is null)
        {
            var callId = $"call{Committed.Count}";
            start = new RoomStart(callId, Ask(userId, State.Members.Where(m => m != userId)));
        }

        var session = ++_session;
        return CommitAfter(() => Room.Join(userId, new JoinRequest(userId, muted, DeviceId: deviceId), session, Now, start));
    }

    public bool Leave(string userId, string reason = LeaveReasons.Left) => CommitAfter(() => Room.Leave(userId, reason, Now));

    public VoiceParticipant Update(string userId, VoiceStatePatch patch, string? deviceId = null) => CommitAfter(() => Room.UpdateState(userId, patch, deviceId));

    public RingResult Ring(string requesterId, IReadOnlyList<string>? recipients = null)
    {
        var targets = Dm.Rings.RingTargets(requesterId, recipients, Now);
        var answers = targets.Length == 0 ? MemberAnswers.None : Ask(requesterId, targets);
        return CommitAfter(() => Dm.Rings.Ring(Room, requesterId, answers, Now));
    }

    public void Decline(string userId) => CommitAfter(() => { Dm.Rings.Decline(Room, userId, Now); return true; });

    public void Dismiss(string userId) => CommitAfter(() => { Dm.Rings.Dismiss(Room, userId); return true; });

    public void StopRinging(string requesterId, params string[] recipients) => CommitAfter(() => { Dm.Rings.StopRinging(Room, requesterId, recipients); return true; });

    public void SyncMembers(params string[] members) => CommitAfter(() => { Dm.SyncMembers(Room, members, members.Length > 2, Now); return true; });

    /// <summary>Moves call time on and settles what is due, as the grain's deadline timer does.</summary>
    public void Advance(TimeSpan by)
    {
        Now += by;
        MediaNow += by;
        CommitAfter(() => { Room.Settle(Now); return true; });
    }

    public IReadOnlyList<string> ParticipantIds => State.Call?.Participants.Select(p => p.Voice.UserId).ToArray() ?? [];

    private MemberAnswers Ask(string callerId, IEnumerable<string> memberIds)
    {
        var statuses = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        var verdicts = new Dictionary<string, RingVerdict>(StringComparer.Ordinal);
        foreach (var memberId in memberIds)
        {
            var answer = Answers.GetValueOrDefault(memberId) ?? new Answer();
            statuses[memberId] = new MemberStatus(answer.Busy ? CallContext.Dm("elsewhere") : null, []);
            if (!answer.Busy)
            {
                verdicts[memberId] = answer.Verdict;
            }
        }

        return new MemberAnswers(statuses, verdicts);
    }

    private T CommitAfter<T>(Func<T> command)
    {
        var before = (State.Version, Participants: string.Join(",", ParticipantIds), Rings: State.Call?.Rings.Count);
        T result;
        try
        {
            result = command();
        }
        catch (DmVoiceException)
        {
            // A refused request changes nothing: no event, no version, no participant, no ring.
            var after = (State.Version, Participants: string.Join(",", ParticipantIds), Rings: State.Call?.Rings.Count);
            if (after != before || Room.Outbox.Events.Count > 0 || Room.Outbox.Removals.Count > 0)
            {
                throw new InvalidOperationException($"A refused request changed the call: {before} -> {after}");
            }

            Room.Outbox.Clear();
            throw;
        }

        Commit();
        return result;
    }

    private void Commit()
    {
        var outbox = Room.Outbox.Take();
        if (outbox.StateChanged || outbox.Events.Count > 0)
        {
            Committed.Add(outbox);
        }
    }
}
