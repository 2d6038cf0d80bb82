namespace DmVoice.Grains.Calls;

/// <summary>
/// Ringing: the first joiner rings every other member, participants ring again or stop ringing, and
/// recipients decline or dismiss. The ring state of a recipient is shared by all of their devices.
/// </summary>
public sealed partial class DmCallGrain
{
    private static readonly TimeSpan RingRateWindow = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<RingingEntry>> Ring(string requesterId, IReadOnlyList<string>? recipientIds)
    {
        EnsureMember(requesterId);
        var call = State.Call ?? throw new DmVoiceException(ErrorCodes.NoActiveCall, "This DM has no live call to ring for.");
        if (call.FindParticipant(requesterId) is null)
        {
            throw NotInCall();
        }

        ValidateRecipients(recipientIds);
        var now = _clock.UtcNow;
        EnforceRingRate(requesterId, now);

        var targets = (recipientIds ?? State.Members)
            .Where(m => m != requesterId && call.FindParticipant(m) is null && call.FindRing(m) is null)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (targets.Length == 0)
        {
            // Rings nobody, but counts: the limit is on ring requests, as documented.
            RecordRing(requesterId, now);
            await CommitAsync();
            return [];
        }

        // Asked again: whether each is busy now, and where their devices are.
        var statuses = await AttachMembersAsync(call.CallId, targets);
        RecordRing(requesterId, now);
        var ringing = StartRings(call, statuses, now);
        if (ringing.Count > 0)
        {
            Emit(v => new RingStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, Ringing = ringing });
        }

        await CommitAsync();
        return ringing;
    }

    public async Task Decline(string userId)
    {
        var (call, ring) = RequireRing(userId);
        StopRing(call, ring, RingOutcomes.Declined);
        EndOneToOneIfUnanswered(call, CallEndReasons.Declined);
        await CommitAsync();
    }

    public async Task Dismiss(string userId)
    {
        var (call, ring) = RequireRing(userId);
        if (ring.Dismissed)
        {
            return;
        }

        // Silence every device of the recipient only; the caller is not told and still sees it ring.
        ring.Dismissed = true;
        call.Outcomes[userId] = RingOutcomes.Dismissed;
        Emit(
            v => new RingStoppedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, UserId = userId, RingId = ring.Entry.RingId, Outcome = RingOutcomes.Dismissed },
            [userId]);
        _metrics.RingStopped(RingOutcomes.Dismissed);
        await CommitAsync();
    }

    public async Task StopRinging(string requesterId, IReadOnlyList<string> recipientIds)
    {
        EnsureMember(requesterId);
        if (State.Call is not { } call || call.FindParticipant(requesterId) is null)
        {
            throw NotInCall();
        }

        ValidateRecipients(recipientIds);
        if (recipientIds is null || recipientIds.Count == 0)
        {
            throw DmVoiceException.Validation("'recipientIds' must name at least one member.");
        }

        foreach (var userId in recipientIds.Distinct(StringComparer.Ordinal))
        {
            if (call.FindRing(userId) is { } ring)
            {
                StopRing(call, ring, RingOutcomes.Cancelled);
            }
        }

        await CommitAsync();
    }

    /// <summary>
    /// Creates the call once every other member has been asked whether they are busy and where their
    /// devices are. A member who cannot be reached fails the join before anything changed: no call
    /// without its rings and its <c>dmVoiceCallStarted</c>.
    /// </summary>
    private async Task<(LiveCallState Call, IReadOnlyDictionary<string, MemberStatus> Recipients)> StartCallAsync(string starterId)
    {
        var callId = Guid.NewGuid().ToString("N");
        var recipients = await AttachMembersAsync(callId, State.Members.Where(m => m != starterId).ToArray());
        var call = new LiveCallState { CallId = callId, StartedAt = _clock.UtcNow, StartedBy = starterId };
        State.Call = call;
        return (call, recipients);
    }

    /// <summary>Rings each recipient, except those already in another call: they are recorded as busy.</summary>
    private List<RingingEntry> StartRings(LiveCallState call, IReadOnlyDictionary<string, MemberStatus> recipients, DateTimeOffset now)
    {
        var here = Here;
        var ringing = new List<RingingEntry>(recipients.Count);
        foreach (var (userId, status) in recipients)
        {
            if (status.ActiveCall is { } active && active != here)
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
            audience = (audience ?? State.Members.ToArray()).Where(m => m != userId).ToArray();
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

    /// <summary>A 1:1 call whose only recipient did not answer ends when the caller is still alone.</summary>
    private void EndOneToOneIfUnanswered(LiveCallState call, string reason)
    {
        if (!State.IsGroup && State.Call is not null && call.Rings.Count == 0 && call.Participants.Count == 1 &&
            call.EverJoined.Count == 1)
        {
            FinishCall(call, reason);
        }
    }

    private (LiveCallState Call, RingState Ring) RequireRing(string userId)
    {
        EnsureMember(userId);
        if (State.Call is { } call && call.FindRing(userId) is { } ring)
        {
            return (call, ring);
        }

        throw new DmVoiceException(ErrorCodes.NotRinging, "You are not being rung for this DM's call.");
    }

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
            if (!State.Members.Contains(id))
            {
                throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{id}' is not a member of this DM.");
            }
        }
    }

    /// <summary>Refuses a re-ring beyond <see cref="CallOptions.RingsPerMinute"/> per member per DM.</summary>
    private void EnforceRingRate(string userId, DateTimeOffset now)
    {
        if (!State.RecentRings.TryGetValue(userId, out var recent))
        {
            return;
        }

        recent.RemoveAll(at => at <= now - RingRateWindow);
        if (recent.Count >= _options.RingsPerMinute)
        {
            var retryAfter = recent.Min() + RingRateWindow - now;
            throw new DmVoiceException(
                ErrorCodes.RateLimited,
                $"At most {_options.RingsPerMinute} rings a minute per DM.",
                retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
        }
    }

    /// <summary>Counts a re-ring that is going ahead; stored with the ring itself.</summary>
    private void RecordRing(string userId, DateTimeOffset now)
    {
        if (!State.RecentRings.TryGetValue(userId, out var recent))
        {
            recent = [];
            State.RecentRings[userId] = recent;
        }

        recent.RemoveAll(at => at <= now - RingRateWindow);
        recent.Add(now);

        // Nobody else's old entries linger in the stored state.
        foreach (var (member, times) in State.RecentRings.ToArray())
        {
            if (times.TrueForAll(at => at <= now - RingRateWindow))
            {
                State.RecentRings.Remove(member);
            }
        }
    }
}
