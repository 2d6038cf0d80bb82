using DmVoice.Grains.Infrastructure;

namespace DmVoice.Grains.Calls;

/// <summary>
/// Commit and publish: a turn changes state in memory and queues what follows from it (events with
/// their versions, notices to user grains, history records); <see cref="CommitAsync"/> writes the
/// state and only then sends what was queued, in order.
/// </summary>
public sealed partial class DmCallGrain
{
    private const string DeadlineReminder = "call-deadlines";

    // Work that follows a committed change, done after the state write succeeds.
    private readonly List<(VoiceEvent Event, string[] Audience)> _pendingEvents = [];
    private readonly List<(string UserId, long Session)> _pendingRemovals = [];
    private readonly List<CallRecord> _pendingRecords = [];
    private readonly List<(string UserId, string CallId)> _pendingDetachments = [];
    private readonly List<(string Recipient, RingStartedPush? Started, RingStoppedPush? Stopped)> _pendingPushes = [];
    private readonly List<(string Recipient, string CallerId)> _pendingRingCounts = [];

    /// <summary>Queues an event with the next version; it is published after the state is written.</summary>
    private void Emit(Func<long, VoiceEvent> create, string[]? audience = null)
    {
        State.Version++;
        _pendingEvents.Add((create(State.Version), audience ?? State.Members.ToArray()));
    }

    /// <summary>Queues another form of the change just emitted (same version) for a different audience.</summary>
    private void EmitAgain(Func<long, VoiceEvent> create, string[] audience) =>
        _pendingEvents.Add((create(State.Version), audience));

    /// <summary>
    /// Queues a change that lists rings, showing each member the rings they may see: a recipient rung
    /// hidden (they blocked the caller) does not see their own ring; everyone else sees every ring.
    /// </summary>
    private void EmitShowingRings(Func<long, IReadOnlyList<RingingEntry>, VoiceEvent> create, IReadOnlyList<RingingEntry> ringing)
    {
        var hidden = State.Call?.Rings.Where(r => r.Hidden).Select(r => r.Entry.UserId).ToHashSet(StringComparer.Ordinal) ?? [];
        Emit(v => create(v, ringing), State.Members.Where(m => !hidden.Contains(m)).ToArray());
        foreach (var userId in hidden.Where(State.Members.Contains))
        {
            EmitAgain(v => create(v, ringing.Where(r => r.UserId != userId).ToArray()), [userId]);
        }
    }

    private DateTimeOffset? NextDeadline()
    {
        if (State.Call is not { } call)
        {
            return null;
        }

        DateTimeOffset? next = call.EmptySince + _options.EmptyCallGrace;
        foreach (var ring in call.Rings)
        {
            if (next is null || ring.Entry.ExpiresAt < next)
            {
                next = ring.Entry.ExpiresAt;
            }
        }

        return next;
    }

    /// <summary>
    /// Writes the state, then publishes events and notifications in order, then re-arms the deadline
    /// timer. When a write fails, nothing that was queued goes out and the activation is dropped (see
    /// <see cref="StateWrites"/>): no event for a change that was not stored, and no later turn
    /// publishing an earlier turn's events.
    /// </summary>
    private async Task CommitAsync()
    {
        try
        {
            var next = NextDeadline();

            // While a call is live (or LiveKit is owed a command) a reminder brings back an activation
            // that went away (a silo crash, a failed write): its deadlines, member checks and owed
            // commands resume.
            await UpdateReminderAsync(State.Call is not null || State.MediaCommands.Count > 0);
            if (_pendingRecords.Count > 0)
            {
                // History first: a record of a call whose end then fails to be stored is replaced by
                // the record written when the call really ends (same call id), never duplicated.
                await _history.WriteOrDropAsync(this);
            }

            await _state.WriteOrDropAsync(this);
            _deadlineTimer.Schedule(next);
        }
        catch
        {
            DiscardPending();
            throw;
        }

        await FlushAsync();
    }

    private void DiscardPending()
    {
        _pendingEvents.Clear();
        _pendingRemovals.Clear();
        _pendingRecords.Clear();
        _pendingDetachments.Clear();
        _pendingPushes.Clear();
        _pendingRingCounts.Clear();
    }

    private async Task FlushAsync()
    {
        var events = _pendingEvents.ToArray();
        var removals = _pendingRemovals.ToArray();
        var records = _pendingRecords.ToArray();
        var detachments = _pendingDetachments.ToArray();
        var pushes = _pendingPushes.ToArray();
        var ringCounts = _pendingRingCounts.ToArray();
        _pendingEvents.Clear();
        _pendingRemovals.Clear();
        _pendingRecords.Clear();
        _pendingDetachments.Clear();
        _pendingPushes.Clear();
        _pendingRingCounts.Clear();

        var here = Here;
        foreach (var (recipient, callerId) in ringCounts)
        {
            GrainFactory.GetGrain<IUserSettingsGrain>(recipient).CountRing(callerId).Ignore();
        }

        foreach (var (userId, session) in removals)
        {
            GrainFactory.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(here, session).Ignore();
        }

        foreach (var record in records)
        {
            var blocked = _history.State.BlockedRecipients.GetValueOrDefault(record.CallId) ?? [];
            foreach (var outcome in record.Outcomes.Where(o => RingOutcomes.IsMissed(o.Outcome) && State.Members.Contains(o.UserId) && !blocked.Contains(o.UserId)))
            {
                GrainFactory.GetGrain<IUserDirectoryGrain>(outcome.UserId).AddMissedCall(record).Ignore();
            }
        }

        // Push notifications go out only for what was stored, in the order it happened; one-way.
        foreach (var (recipient, started, stopped) in pushes)
        {
            if (started is not null)
            {
                _push.RingStarted(recipient, started);
            }
            else
            {
                _push.RingStopped(recipient, stopped!);
            }
        }

        foreach (var (voiceEvent, audience) in events)
        {
            try
            {
                await _publisher.PublishAsync(voiceEvent, audience);
            }
            catch (Exception ex)
            {
                // State is already durable; a client that misses an event sees the version gap and re-fetches.
                LogPublishFailed(ex, DmGroupId, voiceEvent.EventName, voiceEvent.Version);
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
        if (!_options.DurableDeadlines || (needed == State.ReminderRegistered && !force))
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

        State.ReminderRegistered = needed;
    }
}
