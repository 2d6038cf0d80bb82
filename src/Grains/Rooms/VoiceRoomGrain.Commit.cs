namespace DmVoice.Grains.Rooms;

/// <summary>
/// Commit and publish: a turn changes state in memory and queues what follows from it (events with
/// their versions, notices to user grains, and what the kind queues of its own, such as a DM's history
/// records); <see cref="CommitAsync"/> writes the state and only then sends what was queued, in order.
/// </summary>
public abstract partial class VoiceRoomGrain
{
    private const string DeadlineReminder = "call-deadlines";

    // Work that follows a committed change, done after the state write succeeds.
    private readonly List<(VoiceEvent Event, string[] Audience)> _pendingEvents = [];
    private readonly List<(string UserId, long Session)> _pendingRemovals = [];
    private readonly List<(string UserId, string CallId)> _pendingDetachments = [];

    /// <summary>Queues an event with the next version; it is published after the state is written.</summary>
    protected void Emit(Func<long, VoiceEvent> create, string[]? audience = null)
    {
        RoomState.Version++;
        _pendingEvents.Add((create(RoomState.Version), audience ?? RoomState.Members.ToArray()));
    }

    /// <summary>
    /// One change told two ways under one version: <paramref name="audience"/> hears one event, and
    /// <paramref name="own"/> (the user it concerns) another that says more. Nobody sees a version gap.
    /// </summary>
    protected void Emit(Func<long, VoiceEvent> create, string[] audience, Func<long, VoiceEvent> createOwn, string[] own)
    {
        RoomState.Version++;
        _pendingEvents.Add((create(RoomState.Version), audience));
        _pendingEvents.Add((createOwn(RoomState.Version), own));
    }

    /// <summary>Queues another form of the change just emitted (same version) for a different audience.</summary>
    protected void EmitAgain(Func<long, VoiceEvent> create, string[] audience) =>
        _pendingEvents.Add((create(RoomState.Version), audience));

    protected DateTimeOffset? NextDeadline()
    {
        if (RoomState.Live is not { } live)
        {
            return null;
        }

        var grace = live.EmptySince + Options.EmptyCallGrace;
        var own = NextOwnDeadline();
        return grace is null || (own is not null && own < grace) ? own : grace;
    }

    /// <summary>
    /// Writes the state, then publishes events and notifications in order, then re-arms the deadline
    /// timer. When a write fails, nothing that was queued goes out and the activation is dropped (see
    /// <see cref="StateWrites"/>): no event for a change that was not stored, and no later turn
    /// publishing an earlier turn's events.
    /// </summary>
    protected async Task CommitAsync()
    {
        try
        {
            var next = NextDeadline();

            // While a call is live (or LiveKit is owed a command) a reminder brings back an activation
            // that went away (a silo crash, a failed write): its deadlines, member checks and owed
            // commands resume.
            await UpdateReminderAsync(NeedsWakeUps);
            await WriteStateAsync();
            _deadlineTimer.Schedule(next);
        }
        catch
        {
            DiscardPending();
            throw;
        }

        await FlushAsync();
    }

    /// <summary>
    /// Writes the kind's state (and whatever it stores beside it first) with
    /// <see cref="StateWrites.WriteOrDropAsync{T}"/>, so a failed write drops the activation.
    /// </summary>
    protected abstract Task WriteStateAsync();

    /// <summary>The kind's own work queued for after the commit is dropped: the write failed.</summary>
    protected virtual void DiscardOwnPending()
    {
    }

    /// <summary>The kind's own work queued for after the commit, sent before the events.</summary>
    protected virtual void FlushOwnPending()
    {
    }

    private void DiscardPending()
    {
        _pendingEvents.Clear();
        _pendingRemovals.Clear();
        _pendingDetachments.Clear();
        DiscardOwnPending();
    }

    private async Task FlushAsync()
    {
        var events = _pendingEvents.ToArray();
        var removals = _pendingRemovals.ToArray();
        var detachments = _pendingDetachments.ToArray();
        _pendingEvents.Clear();
        _pendingRemovals.Clear();
        _pendingDetachments.Clear();

        var here = Here;
        foreach (var (userId, session) in removals)
        {
            GrainFactory.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(here, session).Ignore();
        }

        FlushOwnPending();

        foreach (var (voiceEvent, audience) in events)
        {
            try
            {
                await _publisher.PublishAsync(voiceEvent, audience);
            }
            catch (Exception ex)
            {
                // State is already durable; a client that misses an event sees the version gap and re-fetches.
                LogPublishFailed(ex, RoomLabel, voiceEvent.EventName, voiceEvent.Version);
            }
        }

        // Last: the departing still needed their routes for the events above.
        foreach (var (userId, callId) in detachments)
        {
            DetachNow(userId, callId);
        }

        if (_mediaCommandsQueued)
        {
            ScheduleMediaCommands();
        }
    }

    private async Task UpdateReminderAsync(bool needed, bool force = false)
    {
        if (!Options.DurableDeadlines || (needed == RoomState.ReminderRegistered && !force))
        {
            return;
        }

        if (needed)
        {
            // Reminders cannot fire sooner than a minute; they only wake the grain after a restart,
            // and the in-memory timer does the exact timing.
            await this.RegisterOrUpdateReminder(DeadlineReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        else if (await this.GetReminder(DeadlineReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        RoomState.ReminderRegistered = needed;
    }
}
