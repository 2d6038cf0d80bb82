using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace DmVoice.Grains.Calls;

public sealed partial class DmCallGrain
{
    private void EnsureMember(string userId)
    {
        Validate.Id(userId, "userId");
        if (!S.Known || !S.Members.Contains(userId))
        {
            throw DmVoiceException.DmNotFound(DmGroupId);
        }
    }

    private static DmVoiceException NotInCall() =>
        new(ErrorCodes.NotInCall, "You are not in this DM's call.");

    private void ValidateRecipients(IReadOnlyList<string>? recipientIds)
    {
        if (recipientIds is null)
        {
            return;
        }

        if (recipientIds.Count > DmLimits.MaxMembers)
        {
            throw DmVoiceException.Validation($"'recipientIds' holds at most {DmLimits.MaxMembers} ids.");
        }

        foreach (var id in recipientIds)
        {
            Validate.Id(id, "recipientIds");
            if (!S.Members.Contains(id))
            {
                throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{id}' is not a member of this DM.");
            }
        }
    }

    private void EnforceRingRate(string userId, DateTimeOffset now)
    {
        if (!_recentRings.TryGetValue(userId, out var recent))
        {
            recent = new Queue<DateTimeOffset>();
            _recentRings[userId] = recent;
        }

        var window = TimeSpan.FromMinutes(1);
        while (recent.Count > 0 && recent.Peek() <= now - window)
        {
            recent.Dequeue();
        }

        if (recent.Count >= _options.RingsPerMinute)
        {
            var retryAfter = recent.Peek() + window - now;
            throw new DmVoiceException(
                ErrorCodes.RateLimited,
                $"At most {_options.RingsPerMinute} rings a minute per DM.",
                retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
        }

        recent.Enqueue(now);
    }

    private (LiveCallState Call, RingState Ring) RequireRing(string userId)
    {
        EnsureMember(userId);
        if (S.Call is { } call && call.FindRing(userId) is { } ring)
        {
            return (call, ring);
        }

        throw new DmVoiceException(ErrorCodes.NotRinging, "You are not being rung for this DM's call.");
    }

    /// <summary>Rings each recipient, except those already in another call: they are recorded as busy.</summary>
    private async Task<IReadOnlyList<RingingEntry>> StartRingsAsync(LiveCallState call, IEnumerable<string> recipients, DateTimeOffset now)
    {
        var candidates = recipients.ToArray();
        var here = CallContext.Dm(DmGroupId);
        // GetActiveCall interleaves, so asking a user who is joining a call right now cannot deadlock.
        var activeCalls = await Task.WhenAll(candidates.Select(id => GrainFactory.GetGrain<IUserVoiceGrain>(id).GetActiveCall()));

        var ringing = new List<RingingEntry>(candidates.Length);
        for (var i = 0; i < candidates.Length; i++)
        {
            var userId = candidates[i];
            if (activeCalls[i] is { } active && active != here)
            {
                call.Outcomes[userId] = RingOutcomes.Busy;
                _metrics.RingStopped(RingOutcomes.Busy);
                continue;
            }

            var entry = new RingingEntry(userId, Guid.NewGuid().ToString("N"), now + _options.RingTimeout);
            call.Rings.Add(new RingState { Entry = entry });
            call.Outcomes.Remove(userId);
            ringing.Add(entry);
        }

        return ringing;
    }

    private void StopRing(LiveCallState call, RingState ring, string outcome, string[]? audience = null, string? announcedOutcome = null)
    {
        call.Rings.Remove(ring);
        var userId = ring.Entry.UserId;
        call.Outcomes[userId] = outcome;
        if (ring.Dismissed)
        {
            // The recipient's devices stopped when they dismissed (that was their RingStopped);
            // however the ring ends later, only the others are told.
            audience = (audience ?? S.Members.ToArray()).Where(m => m != userId).ToArray();
        }

        Emit(
            v => new RingStoppedEvent
            {
                DmGroupId = DmGroupId,
                CallId = call.CallId,
                Version = v,
                UserId = userId,
                RingId = ring.Entry.RingId,
                Outcome = announcedOutcome ?? outcome,
            },
            audience);
        _metrics.RingStopped(outcome);
    }

    private void RemoveParticipant(LiveCallState call, ParticipantState participant, string reason, string[]? audience = null)
    {
        call.Participants.Remove(participant);
        var userId = participant.Voice.UserId;
        Emit(v => new UserLeftEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, UserId = userId, Reason = reason }, audience);
        _pendingRemovals.Add((userId, participant.Session));
        if (reason != LeaveReasons.Left)
        {
            // Whoever DmVoice takes out of a call must lose the media too; the client left on its own.
            _liveKit.RemoveParticipant(DmGroupId, userId);
        }
    }

    /// <summary>An empty call stops ringing and waits out the grace for a rejoin.</summary>
    private void AfterParticipantsChanged(LiveCallState call)
    {
        if (S.Call is null || call.Participants.Count > 0 || call.EmptySince is not null)
        {
            return;
        }

        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }

        call.EmptySince = _clock.UtcNow;
    }

    /// <summary>A 1:1 call whose only recipient did not answer ends when the caller is still alone.</summary>
    private void EndOneToOneIfUnanswered(LiveCallState call, string reason)
    {
        if (!S.IsGroup && S.Call is not null && call.Rings.Count == 0 && call.Participants.Count == 1 &&
            call.EverJoined.Count == 1)
        {
            FinishCall(call, reason);
        }
    }

    private void FinishCall(LiveCallState call, string reason)
    {
        foreach (var ring in call.Rings.ToArray())
        {
            StopRing(call, ring, RingOutcomes.Cancelled);
        }

        foreach (var participant in call.Participants.ToArray())
        {
            RemoveParticipant(call, participant, LeaveReasons.CallEnded);
        }

        var now = _clock.UtcNow;
        var duration = now - call.StartedAt;
        // Members who left the DM during the call keep their outcome (e.g. removed while ringing).
        var formerMembers = call.Outcomes.Keys.Where(id => !S.Members.Contains(id));
        var outcomes = S.Members.Concat(formerMembers)
            .Select(m => new MemberOutcome(m, call.Outcomes.GetValueOrDefault(m, MemberOutcomes.NotRung)))
            .ToArray();
        var record = new CallRecord(
            call.CallId, DmGroupId, call.StartedBy, call.StartedAt, now, (long)duration.TotalMilliseconds, reason,
            call.EverJoined.ToArray(), outcomes);

        var records = _history.State.Records;
        records.Add(record);
        var excess = records.Count - _options.HistoryLimit;
        if (excess > 0)
        {
            records.RemoveRange(0, excess);
        }

        _pendingRecords.Add(record);
        S.Call = null;
        Emit(v => new CallEndedEvent
        {
            DmGroupId = DmGroupId,
            CallId = call.CallId,
            Version = v,
            Reason = reason,
            DurationMs = record.DurationMs,
            Record = record,
        });
        _liveKit.DeleteRoom(DmGroupId);
        _metrics.CallEnded(reason, duration);
        LogCallEnded(DmGroupId, call.CallId, reason, record.DurationMs);
    }

    private CallPresence BuildPresence(string requesterId)
    {
        if (S.Call is not { } call)
        {
            return new CallPresence(DmGroupId, null, null, null, [], [], S.Version);
        }

        var ringing = call.Rings
            .Where(r => !(r.Dismissed && r.Entry.UserId == requesterId))
            .Select(r => r.Entry)
            .ToArray();
        return new CallPresence(
            DmGroupId, call.CallId, call.StartedAt, call.StartedBy, call.Participants.Select(p => p.Voice).ToArray(), ringing, S.Version);
    }

    /// <summary>Queues an event with the next version; it is published after the state is written.</summary>
    private void Emit(Func<long, VoiceEvent> create, string[]? audience = null)
    {
        S.Version++;
        _pendingEvents.Add((create(S.Version), audience ?? S.Members.ToArray()));
    }

    private DateTimeOffset? NextDeadline()
    {
        if (S.Call is not { } call)
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

    /// <summary>Writes the state, then publishes events and notifications in order, then re-arms the deadline timer.</summary>
    private async Task CommitAsync()
    {
        var recordsWritten = _pendingRecords.Count > 0;
        var next = NextDeadline();
        await UpdateReminderAsync(next is not null);
        await _state.WriteStateAsync();
        if (recordsWritten)
        {
            await _history.WriteStateAsync();
        }

        _deadlineTimer.Schedule(next);
        await FlushAsync();
    }

    private async Task FlushAsync()
    {
        var events = _pendingEvents.ToArray();
        var removals = _pendingRemovals.ToArray();
        var records = _pendingRecords.ToArray();
        _pendingEvents.Clear();
        _pendingRemovals.Clear();
        _pendingRecords.Clear();

        var context = CallContext.Dm(DmGroupId);
        foreach (var (userId, session) in removals)
        {
            await GrainFactory.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(context, session);
        }

        foreach (var record in records)
        {
            foreach (var outcome in record.Outcomes.Where(o => RingOutcomes.IsMissed(o.Outcome) && S.Members.Contains(o.UserId)))
            {
                await GrainFactory.GetGrain<IUserDirectoryGrain>(outcome.UserId).AddMissedCall(record);
            }
        }

        foreach (var (voiceEvent, audience) in events)
        {
            try
            {
                // Each event reaches all recipients before the next one starts, so every user stream stays in order.
                await Task.WhenAll(audience.Select(userId => StreamFor(userId).OnNextAsync(voiceEvent)));
            }
            catch (Exception ex)
            {
                // State is already durable; a client that misses an event sees the version gap and re-fetches.
                LogPublishFailed(ex, DmGroupId, voiceEvent.EventName, voiceEvent.Version);
            }
        }
    }

    private async Task UpdateReminderAsync(bool needed)
    {
        if (!_options.DurableDeadlines || needed == S.ReminderRegistered)
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

        S.ReminderRegistered = needed;
    }

    private IAsyncStream<VoiceEvent> StreamFor(string userId)
    {
        if (!_streams.TryGetValue(userId, out var stream))
        {
            stream = this.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
            _streams[userId] = stream;
        }

        return stream;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} started in DM {DmGroupId} by {UserId}, ringing {RingCount}")]
    private partial void LogCallStarted(string dmGroupId, string callId, string userId, int ringCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} in DM {DmGroupId} ended ({Reason}) after {DurationMs} ms")]
    private partial void LogCallEnded(string dmGroupId, string callId, string reason, long durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {EventName} v{Version} for DM {DmGroupId} failed")]
    private partial void LogPublishFailed(Exception exception, string dmGroupId, string eventName, long version);
}
