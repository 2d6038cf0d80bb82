using DmVoice.Grains.Hosting;
using DmVoice.Grains.LiveKit;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// The rules every voice room shares, as a plain state machine: participants and their voice state,
/// join / leave / update with the <c>version</c> rule, the one device that holds a user's seat, the
/// empty-room grace and what LiveKit must be told. Each command takes the time and changes the state in
/// memory; what must follow (events, notices to user grains, LiveKit commands) goes into the
/// <see cref="Outbox"/>, and the next deadline is <see cref="NextDeadline"/>. Whatever is due by the
/// command's time is settled in the same turn. The kind of room (<see cref="IRoomKind"/>) adds its own
/// events and rules. No Orleans type is used here: the grain around it stores the state and carries out
/// the outbox (<see cref="RoomHost"/>).
/// </summary>
public sealed class RoomRules(IVoiceRoomState state, IRoomKind kind, CallOptions options, MediaTracker media, CallMetrics? metrics = null)
{
    public IVoiceRoomState State => state;

    public IRoomKind Kind => kind;

    public RoomOutbox Outbox { get; } = new();

    public MediaTracker Media => media;

    public CallOptions Options => options;

    public CallMetrics? Metrics => metrics;

    /// <summary>
    /// Takes the user into the room. A room that is not live goes live for them: <paramref name="start"/>
    /// is what its members answered before (<see cref="RoomHost"/> asks them first). A repeat join from
    /// the same device changes nothing; from another device it moves the seat there.
    /// </summary>
    public RoomJoin Join(string userId, JoinRequest request, long session, DateTimeOffset now, RoomStart? start = null)
    {
        kind.EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(request);
        var displayName = Validate.OptionalName(request.DisplayName, "displayName") ?? userId;
        var deviceId = request.DeviceId is null ? null : Validate.Id(request.DeviceId, "deviceId");
        var deviceKind = DeviceKinds.Validate(request.DeviceKind, "deviceKind");
        if (state.Live is null)
        {
            state.StartLive(kind.CreateLive(start ?? throw new InvalidOperationException("A room goes live only with its members' answers."), userId, now));
            Outbox.StateChanged = true;
        }
        else
        {
            start = null;
        }

        var live = state.Live!;

        // Removing this user's media, or deleting the room, would now undo the join.
        if (state.MediaCommands.Count > 0 && MediaCommands.CancelStale(state.MediaCommands, userId))
        {
            Outbox.StateChanged = true;
        }

        if (live.FindParticipant(userId) is { } existing)
        {
            // The newest session wins either way.
            if (existing.Session != session)
            {
                existing.Session = session;
                Outbox.StateChanged = true;
            }

            if (deviceId is null || deviceId == existing.Device)
            {
                // Joining again from the same device (a retry, a reload) is not a change.
                return new RoomJoin(live.CallId, false, existing.Voice, state.Version);
            }

            var moved = MoveSeat(live, existing, deviceId, deviceKind, request);
            media.SeatMoved(userId, live.CallId);
            return new RoomJoin(live.CallId, false, moved, state.Version, SeatMoved: true);
        }

        var started = start is not null;
        if (!started)
        {
            kind.EnsureRoomForOneMore(live);
        }

        var participant = new VoiceParticipant(userId, displayName, request.IsMuted, false, request.IsVideoEnabled, false, now, deviceKind);
        live.Participants.Add(new ParticipantState { Voice = participant, Session = session, Device = deviceId });
        live.EmptySince = null;
        Outbox.StateChanged = true;
        metrics?.Joined();
        var notRung = kind.Joined(this, participant, start, now);
        media.Joined(userId, live.CallId);
        Settle(now);
        return new RoomJoin(live.CallId, started, participant, state.Version, NotRung: notRung);
    }

    /// <summary>The user leaves at their own request (left, moved, disconnected by their grace): their user grain knows already.</summary>
    public bool Leave(string userId, string reason, DateTimeOffset now)
    {
        if (state.Live is not { } live || live.FindParticipant(userId) is not { } participant)
        {
            return false;
        }

        Remove(live, participant, reason, tellUser: false);
        AfterParticipantsChanged(live, now);
        Settle(now);
        return true;
    }

    public VoiceParticipant UpdateState(string userId, VoiceStatePatch patch, string? deviceId)
    {
        kind.EnsureMember(userId);
        ArgumentNullException.ThrowIfNull(patch);
        var live = state.Live;
        var participant = live?.FindParticipant(userId) ?? throw NotInCall();
        if (deviceId is not null && participant.Device is { } seat && seat != Validate.Id(deviceId, "deviceId"))
        {
            // The seat moved to another device; this one no longer speaks for the user here.
            throw new DmVoiceException(ErrorCodes.NotInCall, "Your voice session in this call is on another of your devices.");
        }

        var updated = participant.Voice.With(patch);
        if (updated == participant.Voice)
        {
            return updated;
        }

        participant.Voice = updated;
        Emit(v => kind.Events.Updated(live!.CallId, v, updated));
        return updated;
    }

    /// <summary>Settles everything due by <paramref name="now"/>: the kind's deadlines, then the empty grace.</summary>
    public void Settle(DateTimeOffset now)
    {
        if (state.Live is not { } live)
        {
            return;
        }

        kind.SettleDeadlines(this, live, now);
        if (state.Live is not null && live.Participants.Count == 0 && live.EmptySince + options.EmptyCallGrace <= now)
        {
            kind.End(this, live, CallEndReasons.Ended, now);
        }
    }

    /// <summary>The earliest deadline of the live room: the kind's own or the end of the empty grace.</summary>
    public DateTimeOffset? NextDeadline()
    {
        if (state.Live is not { } live)
        {
            return null;
        }

        var grace = live.EmptySince + options.EmptyCallGrace;
        var own = kind.NextDeadline(live);
        return grace is null || (own is not null && own < grace) ? own : grace;
    }

    /// <summary>
    /// Takes a participant out. <paramref name="tellUser"/>: the room decided it (removed, disconnected by
    /// LiveKit, call ended), so the user grain must hear of it; a leave the user grain asked for needs no notice.
    /// </summary>
    public void Remove(ILiveRoomState live, ParticipantState participant, string reason, bool tellUser = true, string[]? audience = null)
    {
        live.Participants.Remove(participant);
        var userId = participant.Voice.UserId;
        Emit(v => kind.Events.Left(live.CallId, v, userId, reason), audience);
        if (tellUser)
        {
            Outbox.Removals.Add((userId, participant.Session));
        }

        if (reason != LeaveReasons.Left)
        {
            // Whoever DmVoice takes out of a call must lose the media too; the client left on its own.
            OweMedia(MediaCommandKind.RemoveParticipant, userId);
        }

        media.Left(userId);
    }

    /// <summary>An empty room waits out the grace for a rejoin.</summary>
    public void AfterParticipantsChanged(ILiveRoomState live, DateTimeOffset now)
    {
        if (state.Live is null || live.Participants.Count > 0 || live.EmptySince is not null)
        {
            return;
        }

        kind.Emptied(this, live);
        live.EmptySince = now;
    }

    /// <summary>
    /// Ends the live room: everyone still in it leaves with <paramref name="reason"/>, the members stop
    /// seeing it (after the commit) and LiveKit's room is deleted.
    /// </summary>
    public void CloseLive(ILiveRoomState live, string reason)
    {
        foreach (var participant in live.Participants.ToArray())
        {
            Remove(live, participant, reason);
        }

        state.EndLive();
        Outbox.StateChanged = true;
        foreach (var userId in state.Members)
        {
            Outbox.Detachments.Add((userId, live.CallId));
        }

        OweMedia(MediaCommandKind.DeleteRoom, null);
        media.CallEnded();
    }

    /// <summary>
    /// Users who lost access leave the room (<c>removed</c>); they hear it on their own devices too, and
    /// stop seeing the room after the commit. <paramref name="alsoFor"/> adds the kind's own (a DM's ring stops).
    /// </summary>
    public void RemoveFormerMembers(IReadOnlyCollection<string> removed, DateTimeOffset now, Action<ILiveRoomState, string, string[]>? alsoFor = null)
    {
        if (state.Live is not { } live || removed.Count == 0)
        {
            return;
        }

        foreach (var userId in removed)
        {
            string[] audience = [.. state.Members, userId];
            if (live.FindParticipant(userId) is { } participant)
            {
                Remove(live, participant, LeaveReasons.Removed, audience: audience);
            }

            alsoFor?.Invoke(live, userId, audience);
        }

        AfterParticipantsChanged(live, now);
        if (state.Live is not null)
        {
            foreach (var userId in removed)
            {
                Outbox.Detachments.Add((userId, live.CallId));
            }
        }

        Settle(now);
    }

    /// <summary>LiveKit reports the user's media gone: they leave as disconnected (the caller checked it is not stale).</summary>
    public void MediaGone(string userId, DateTimeOffset now)
    {
        if (state.Live is { } live && live.FindParticipant(userId) is { } participant)
        {
            Remove(live, participant, LeaveReasons.Disconnected);
            AfterParticipantsChanged(live, now);
            Settle(now);
        }
    }

    /// <summary>Participants whose user grain places them elsewhere leave (<c>moved</c> or <c>disconnected</c>).</summary>
    public IReadOnlyList<string> RemoveGhosts(IReadOnlyDictionary<string, MemberStatus> statuses, DateTimeOffset now)
    {
        if (state.Live is not { } live)
        {
            return [];
        }

        // A member whose join elsewhere is still in flight is not a ghost yet: should that join fail,
        // they are still here (a failed join changes nothing). The next check sees how it ended.
        var here = kind.Here;
        var ghosts = live.Participants
            .Where(p => statuses.TryGetValue(p.Voice.UserId, out var status) && status.ActiveCall != here && !status.Joining)
            .ToArray();
        foreach (var ghost in ghosts)
        {
            var elsewhere = statuses[ghost.Voice.UserId].ActiveCall is not null;
            Remove(live, ghost, elsewhere ? LeaveReasons.Moved : LeaveReasons.Disconnected);
        }

        if (ghosts.Length > 0)
        {
            AfterParticipantsChanged(live, now);
            Settle(now);
        }

        return ghosts.Select(g => g.Voice.UserId).ToArray();
    }

    /// <summary>Queues an event with the next version; it is published after the state is written.</summary>
    public void Emit(Func<long, VoiceEvent> create, string[]? audience = null)
    {
        state.Version++;
        Outbox.StateChanged = true;
        Outbox.Events.Add((create(state.Version), audience ?? state.Members.ToArray()));
    }

    /// <summary>
    /// One change told two ways under one version: <paramref name="audience"/> hears one event, and
    /// <paramref name="own"/> (the user it concerns) another that says more. Nobody sees a version gap.
    /// </summary>
    public void Emit(Func<long, VoiceEvent> create, string[] audience, Func<long, VoiceEvent> createOwn, string[] own)
    {
        Emit(create, audience);
        EmitAgain(createOwn, own);
    }

    /// <summary>Queues another form of the change just emitted (same version) for a different audience.</summary>
    public void EmitAgain(Func<long, VoiceEvent> create, string[] audience) =>
        Outbox.Events.Add((create(state.Version), audience));

    /// <summary>Owes LiveKit a RoomService call, stored with the change that needs it.</summary>
    public void OweMedia(MediaCommandKind command, string? userId) =>
        Outbox.OweMedia(state.MediaCommands, command, userId, media.Now, media.Enabled);

    public IReadOnlyList<VoiceParticipant> Participants(ILiveRoomState live) => live.Participants.Select(p => p.Voice).ToArray();

    public static DmVoiceException NotInCall() => new(ErrorCodes.NotInCall, "You are not in this call.");

    /// <summary>
    /// Moves the user's seat to another of their devices: the others see one update, and the user's own
    /// devices hear where the seat went (the one that held it drops its media). The new device brings
    /// its own microphone and camera state; a screen share stays with the device that made it.
    /// </summary>
    private VoiceParticipant MoveSeat(ILiveRoomState live, ParticipantState participant, string deviceId, string? deviceKind, JoinRequest request)
    {
        var previous = participant.Device;
        var moved = participant.Voice with
        {
            IsMuted = request.IsMuted,
            IsDeafened = false,
            IsVideoEnabled = request.IsVideoEnabled,
            IsScreenSharing = false,
            DeviceKind = deviceKind,
        };
        participant.Voice = moved;
        participant.Device = deviceId;
        var userId = moved.UserId;
        var others = state.Members.Where(m => m != userId).ToArray();
        Emit(v => kind.Events.Updated(live.CallId, v, moved), others, v => kind.Events.SeatMoved(live.CallId, v, moved, deviceId, previous), [userId]);
        return moved;
    }
}
