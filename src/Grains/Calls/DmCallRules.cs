using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Calls;

/// <summary>
/// What only a DM's call has, as the room kind the shared rules (<see cref="RoomRules"/>) consult: the
/// call's start and end, how each member took part, the history record, and ringing
/// (<c>DmCallRules.Ringing.cs</c>). Plain C#: it changes <see cref="DmCallState"/> and
/// <see cref="CallHistoryState"/> in memory and queues what follows in the room's outbox.
/// </summary>
public sealed partial class DmCallRules(string dmGroupId, DmCallState state, CallHistoryState history, CallOptions options, CallMetrics? metrics, ILogger logger) : IRoomKind
{
    private DmRingRules? _rings;

    /// <summary>The call's rings: started, answered, declined, dismissed, expired.</summary>
    public DmRingRules Rings => _rings ??= new DmRingRules(dmGroupId, state, options, metrics, EnsureMember, End);

    public CallContext Here { get; } = CallContext.Dm(dmGroupId);

    public RoomEvents Events { get; } = new(
        (callId, v, user) => new UserJoinedEvent { DmGroupId = dmGroupId, CallId = callId, Version = v, User = user },
        (callId, v, userId, reason) => new UserLeftEvent { DmGroupId = dmGroupId, CallId = callId, Version = v, UserId = userId, Reason = reason },
        (callId, v, user) => new UserUpdatedEvent { DmGroupId = dmGroupId, CallId = callId, Version = v, User = user },
        (callId, v, user, deviceId, previous) => new SessionMovedEvent { DmGroupId = dmGroupId, CallId = callId, Version = v, User = user, DeviceId = deviceId, PreviousDeviceId = previous });

    /// <summary>Whether the DM exists (the group grain told of it) and the user is one of its members.</summary>
    public bool IsMember(string userId) => state.Known && state.Members.Contains(userId);

    public void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!IsMember(userId))
        {
            throw DmVoiceException.DmNotFound(dmGroupId);
        }
    }

    public ILiveRoomState CreateLive(RoomStart start, string starterId, DateTimeOffset now) =>
        new LiveCallState { CallId = start.CallId, StartedAt = now, StartedBy = starterId };

    public bool HasRoomForOneMore(ILiveRoomState live) => true;

    public void EnsureRoomForOneMore(ILiveRoomState live)
    {
    }

    public IReadOnlyList<NotRungEntry>? Joined(RoomRules room, VoiceParticipant participant, RoomStart? start, DateTimeOffset now)
    {
        var call = state.Call!;
        var userId = participant.UserId;
        if (!call.EverJoined.Contains(userId))
        {
            call.EverJoined.Add(userId);
        }

        if (start is not null)
        {
            call.Outcomes[userId] = MemberOutcomes.Started;
            var (ringing, notRung) = Rings.StartRings(room, call, start.Members, now, participant);
            Rings.EmitShowingRings(
                room,
                (v, visible) => new CallStartedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, User = participant, Ringing = visible, NotRung = notRung },
                ringing);
            room.Outbox.ActivityAt = call.StartedAt;
            metrics?.CallStarted();
            LogCallStarted(dmGroupId, call.CallId, userId, ringing.Count);

            // A 1:1 call whose only recipient is busy elsewhere (or was rung too often lately) has nobody to wait for.
            Rings.EndOneToOneIfUnanswered(room, call, DmRingRules.NotRungEndReason(notRung), now);
            return notRung;
        }

        // A rejoin keeps how the member first took part (the starter stays "started"); a member
        // who was rung (and maybe missed or declined) and joins after all has accepted.
        call.Outcomes[userId] = call.Outcomes.GetValueOrDefault(userId) switch
        {
            null => MemberOutcomes.Joined,
            MemberOutcomes.Started or MemberOutcomes.Joined => call.Outcomes[userId],
            _ => RingOutcomes.Accepted,
        };
        room.Emit(v => Events.Joined(call.CallId, v, participant));
        if (call.FindRing(userId) is { } ring)
        {
            Rings.StopRing(room, call, ring, RingOutcomes.Accepted);
        }

        return null;
    }

    /// <summary>An empty call stops ringing while it waits out the grace for a rejoin.</summary>
    public void Emptied(RoomRules room, ILiveRoomState live)
    {
        var call = (LiveCallState)live;
        foreach (var ring in call.Rings.ToArray())
        {
            Rings.StopRing(room, call, ring, RingOutcomes.Cancelled);
        }
    }

    public void SettleDeadlines(RoomRules room, ILiveRoomState live, DateTimeOffset now)
    {
        var call = (LiveCallState)live;
        var expired = call.Rings.Where(r => r.Entry.ExpiresAt <= now).ToArray();
        foreach (var ring in expired)
        {
            // A dismissed ring keeps "dismissed" in the record; the others (never the recipient, whose
            // devices already stopped) see a timeout.
            var outcome = ring.Dismissed ? RingOutcomes.Dismissed : RingOutcomes.Missed;
            Rings.StopRing(room, call, ring, outcome, announcedOutcome: RingOutcomes.Missed);
        }

        if (expired.Length > 0)
        {
            Rings.EndOneToOneIfUnanswered(room, call, CallEndReasons.NoAnswer, now);
        }
    }

    public DateTimeOffset? NextDeadline(ILiveRoomState live) =>
        live is LiveCallState { Rings.Count: > 0 } call ? call.Rings.Min(r => r.Entry.ExpiresAt) : null;

    /// <summary>
    /// The call ends: rings stop, everyone still in it leaves, and the call leaves a record in the DM's
    /// history (written before the state) that every member hears of with the end.
    /// </summary>
    public void End(RoomRules room, ILiveRoomState live, string reason, DateTimeOffset now)
    {
        var call = (LiveCallState)live;
        foreach (var ring in call.Rings.ToArray())
        {
            Rings.StopRing(room, call, ring, RingOutcomes.Cancelled);
        }

        room.CloseLive(call, LeaveReasons.CallEnded);

        var duration = now - call.StartedAt;

        // Members who left the DM during the call keep their outcome (e.g. removed while ringing).
        var formerMembers = call.Outcomes.Keys.Where(id => !state.Members.Contains(id));
        var outcomes = state.Members.Concat(formerMembers)
            .Select(m => new MemberOutcome(m, call.Outcomes.GetValueOrDefault(m, MemberOutcomes.NotRung)))
            .ToArray();
        var record = new CallRecord(
            call.CallId, dmGroupId, call.StartedBy, call.StartedAt, now, (long)duration.TotalMilliseconds, reason,
            call.EverJoined.ToArray(), outcomes);
        Remember(record, call.BlockedRecipients);
        state.UnsavedHistory.Add(new UnsavedRecord(record, [.. call.BlockedRecipients]));
        room.Outbox.Records.Add(record);

        // Members whose ring went unanswered hear of it in their directory (not those rung hidden: it never rang them).
        foreach (var outcome in record.Outcomes.Where(o => RingOutcomes.IsMissed(o.Outcome) && state.Members.Contains(o.UserId) && !call.BlockedRecipients.Contains(o.UserId)))
        {
            room.Outbox.MissedCalls.Add((outcome.UserId, record));
        }

        // Those who blocked a caller read their own outcome as "blocked"; everyone else the same record.
        var blocked = call.BlockedRecipients.ToArray();
        room.Emit(
            v => new CallEndedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, Reason = reason, DurationMs = record.DurationMs, Record = record },
            state.Members.Where(m => !call.BlockedRecipients.Contains(m)).ToArray());
        foreach (var userId in blocked.Where(state.Members.Contains))
        {
            room.EmitAgain(
                v => new CallEndedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, Reason = reason, DurationMs = record.DurationMs, Record = AsSeenBy(record, userId, blocked) },
                [userId]);
        }

        metrics?.CallEnded(reason, duration);
        LogCallEnded(dmGroupId, call.CallId, reason, record.DurationMs);
    }

    /// <summary>The DM's members as the group grain pushes them: those who left it leave the call and stop ringing (<c>removed</c>).</summary>
    public void SyncMembers(RoomRules room, IReadOnlyList<string> memberIds, bool isGroup, DateTimeOffset now)
    {
        var removed = state.Members.Except(memberIds, StringComparer.Ordinal).ToArray();
        state.Known = memberIds.Count > 0;
        state.Members = memberIds.ToList();
        state.IsGroup = isGroup;
        room.Outbox.StateChanged = true;
        room.RemoveFormerMembers(removed, now, (live, userId, audience) =>
        {
            var call = (LiveCallState)live;
            if (call.FindRing(userId) is { } ring)
            {
                Rings.StopRing(room, call, ring, RingOutcomes.Removed, audience);
            }
        });
    }

    /// <summary>Who is in the call and who is being rung, as <paramref name="requesterId"/> may see it.</summary>
    public CallPresence Presence(RoomRules room, string requesterId)
    {
        if (state.Call is not { } call)
        {
            return new CallPresence(dmGroupId, null, null, null, [], [], state.Version);
        }

        var ringing = call.Rings
            .Where(r => !((r.Dismissed || r.Hidden) && r.Entry.UserId == requesterId))
            .Select(r => r.Entry)
            .ToArray();
        return new CallPresence(dmGroupId, call.CallId, call.StartedAt, call.StartedBy, room.Participants(call), ringing, state.Version);
    }

    /// <summary>A page of the DM's history, newest first, as <paramref name="requesterId"/> reads it.</summary>
    public IReadOnlyList<CallRecord> History(string requesterId, int limit, DateTimeOffset? before) =>
        Enumerable.Reverse(history.Records)
            .Where(r => before is null || r.StartedAt < before)
            .Take(Math.Clamp(limit, 1, 100))
            .Select(r => AsSeenBy(r, requesterId))
            .ToArray();

    /// <summary>
    /// At activation: records stored with a call's end but not yet in the stored history are put back
    /// into it. Answers whether any was missing (the history then owes a write).
    /// </summary>
    public bool RecoverUnsavedHistory()
    {
        var missing = state.UnsavedHistory.Where(u => !history.Records.Exists(r => r.CallId == u.Record.CallId)).ToArray();
        foreach (var unsaved in missing.OrderBy(u => u.Record.EndedAt))
        {
            Remember(unsaved.Record, [.. unsaved.BlockedRecipients]);
        }

        if (missing.Length == 0)
        {
            state.UnsavedHistory.Clear();
        }

        return missing.Length > 0;
    }

    /// <summary>Keeps the record (replacing one of the same call: a retried end), trimmed to the history limit.</summary>
    private void Remember(CallRecord record, IReadOnlyCollection<string> blockedRecipients)
    {
        var records = history.Records;
        records.RemoveAll(r => r.CallId == record.CallId);
        records.Add(record);
        var excess = records.Count - options.HistoryLimit;
        if (excess > 0)
        {
            foreach (var dropped in records.Take(excess))
            {
                history.BlockedRecipients.Remove(dropped.CallId);
            }

            records.RemoveRange(0, excess);
        }

        if (blockedRecipients.Count > 0)
        {
            history.BlockedRecipients[record.CallId] = [.. blockedRecipients];
        }
    }

    /// <summary>
    /// A record as one member reads it: someone who blocked a caller reads their own outcome as
    /// <c>blocked</c>; everyone else reads what the caller saw (an unanswered ring).
    /// </summary>
    private CallRecord AsSeenBy(CallRecord record, string requesterId, IReadOnlyCollection<string>? blocked = null)
    {
        blocked ??= history.BlockedRecipients.GetValueOrDefault(record.CallId);
        if (blocked is null || !blocked.Contains(requesterId))
        {
            return record;
        }

        return record with
        {
            Outcomes = record.Outcomes.Select(o => o.UserId == requesterId ? o with { Outcome = RingOutcomes.Blocked } : o).ToArray(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} started in DM {DmGroupId} by {UserId}, ringing {RingCount}")]
    private partial void LogCallStarted(string dmGroupId, string callId, string userId, int ringCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} in DM {DmGroupId} ended ({Reason}) after {DurationMs} ms")]
    private partial void LogCallEnded(string dmGroupId, string callId, string reason, long durationMs);
}
