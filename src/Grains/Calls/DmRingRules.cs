using DmVoice.Grains.Hosting;

namespace DmVoice.Grains.Calls;

/// <summary>
/// Ringing in a DM's call, as plain rules: the first joiner rings every other member, participants ring
/// again or stop ringing, and recipients decline or dismiss. The ring state of a recipient is shared by
/// all of their devices. Part of <see cref="DmCallRules"/>, which asks it to ring at a call's start and
/// to stop rings when the call empties or ends; <paramref name="endCall"/> ends a 1:1 call left unanswered.
/// </summary>
public sealed class DmRingRules(
    string dmGroupId,
    DmCallState state,
    CallOptions options,
    CallMetrics? metrics,
    Action<string> ensureMember,
    Action<RoomRules, LiveCallState, string, DateTimeOffset> endCall)
{
    private static readonly TimeSpan RingRateWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Checks a ring request and answers whom it would ring: members not in the call and not rung now.
    /// Throws when the requester may not ring (not in the call, too many rings this minute).
    /// </summary>
    public string[] RingTargets(string requesterId, IReadOnlyList<string>? recipientIds, DateTimeOffset now)
    {
        ensureMember(requesterId);
        var call = state.Call ?? throw new DmVoiceException(ErrorCodes.NoActiveCall, "This DM has no live call to ring for.");
        if (call.FindParticipant(requesterId) is null)
        {
            throw RoomRules.NotInCall();
        }

        ValidateRecipients(recipientIds);
        EnforceRingRate(requesterId, now);
        return (recipientIds ?? state.Members)
            .Where(m => m != requesterId && call.FindParticipant(m) is null && call.FindRing(m) is null)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Rings again whom <paramref name="answers"/> allows (asked after <see cref="RingTargets"/>). The request counts either way.</summary>
    public RingResult Ring(RoomRules room, string requesterId, MemberAnswers answers, DateTimeOffset now)
    {
        var call = state.Call!;
        var ringer = call.FindParticipant(requesterId)!;
        RecordRing(requesterId, now);
        room.Outbox.StateChanged = true;
        if (answers.Statuses.Count == 0)
        {
            // Rings nobody, but counts: the limit is on ring requests, as documented.
            return new RingResult([], []);
        }

        var (ringing, notRung) = StartRings(room, call, answers, now, ringer.Voice);
        if (ringing.Count > 0 || notRung.Count > 0)
        {
            EmitShowingRings(
                room,
                (v, visible) => new RingStartedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, Ringing = visible, NotRung = notRung, RungBy = requesterId },
                ringing);
        }

        return new RingResult(ringing, notRung);
    }

    public void Decline(RoomRules room, string userId, DateTimeOffset now)
    {
        var (call, ring) = RequireRing(userId);
        StopRing(room, call, ring, RingOutcomes.Declined);
        EndOneToOneIfUnanswered(room, call, CallEndReasons.Declined, now);
    }

    public void Dismiss(RoomRules room, string userId)
    {
        var (call, ring) = RequireRing(userId);
        if (ring.Dismissed)
        {
            return;
        }

        // Silence every device of the recipient only; the caller is not told and still sees it ring.
        if (!ring.Entry.Silent)
        {
            room.Outbox.Pushes.Add((userId, null, new RingStoppedPush(dmGroupId, call.CallId, ring.Entry.RingId, RingOutcomes.Dismissed)));
        }

        ring.Dismissed = true;
        call.Outcomes[userId] = RingOutcomes.Dismissed;
        room.Emit(
            v => new RingStoppedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, UserId = userId, RingId = ring.Entry.RingId, Outcome = RingOutcomes.Dismissed },
            [userId]);
        metrics?.RingStopped(RingOutcomes.Dismissed);
    }

    public void StopRinging(RoomRules room, string requesterId, IReadOnlyList<string> recipientIds)
    {
        ensureMember(requesterId);
        if (state.Call is not { } call || call.FindParticipant(requesterId) is null)
        {
            throw RoomRules.NotInCall();
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
                StopRing(room, call, ring, RingOutcomes.Cancelled);
            }
        }
    }

    /// <summary>The members a ring may reach: free now, or in this very call (the verdicts of the others are not used).</summary>
    public string[] FreeMembers(IReadOnlyDictionary<string, MemberStatus> statuses) =>
        statuses.Where(s => s.Value.ActiveCall is null || s.Value.ActiveCall == CallContext.Dm(dmGroupId)).Select(s => s.Key).ToArray();

    /// <summary>
    /// Rings each recipient the answers allow. Busy members and members the caller rang too often lately
    /// are not rung (and said so, in <c>notRung</c>); a member who blocked the caller is rung hidden (see
    /// <see cref="RingState.Hidden"/>); do-not-disturb and muted DMs ring silently; audible rings are pushed.
    /// Every ring, a call's first or a re-ring, counts against the caller's per-recipient limits once
    /// stored (<see cref="RoomOutbox.RingCounts"/>), so stopping a ring and ringing again cannot get
    /// around them; re-rings also have the call's own limit per minute.
    /// </summary>
    public (List<RingingEntry> Ringing, List<NotRungEntry> NotRung) StartRings(RoomRules room, LiveCallState call, MemberAnswers answers, DateTimeOffset now, VoiceParticipant caller)
    {
        var ringing = new List<RingingEntry>(answers.Statuses.Count);
        var notRung = new List<NotRungEntry>();
        foreach (var (userId, status) in answers.Statuses)
        {
            if (!answers.Verdicts.TryGetValue(userId, out var verdict))
            {
                call.Outcomes[userId] = RingOutcomes.Busy;
                notRung.Add(new NotRungEntry(userId, NotRungReasons.Busy));
                metrics?.RingStopped(RingOutcomes.Busy);
                continue;
            }

            if (verdict == RingVerdict.RateLimited)
            {
                call.Outcomes[userId] = RingOutcomes.RateLimited;
                notRung.Add(new NotRungEntry(userId, NotRungReasons.RateLimited));
                metrics?.RingStopped(RingOutcomes.RateLimited);
                continue;
            }

            var entry = new RingingEntry(userId, Guid.NewGuid().ToString("N"), now + options.RingTimeout, Silent: verdict == RingVerdict.Silent);
            var ring = new RingState { Entry = entry, Hidden = verdict == RingVerdict.Blocked };
            call.Rings.Add(ring);
            call.Outcomes.Remove(userId);
            ringing.Add(entry);
            room.Outbox.RingCounts.Add((userId, caller.UserId));

            if (ring.Hidden)
            {
                call.BlockedRecipients.Add(userId);
            }
            else if (!entry.Silent)
            {
                room.Outbox.Pushes.Add((userId, new RingStartedPush(
                    dmGroupId, call.CallId, entry.RingId, caller.UserId, caller.DisplayName, entry.ExpiresAt,
                    HasLiveDevice: status.Routes.Length > 0, state.IsGroup), null));
            }
        }

        return (ringing, notRung);
    }

    public void StopRing(RoomRules room, LiveCallState call, RingState ring, string outcome, string[]? audience = null, string? announcedOutcome = null)
    {
        call.Rings.Remove(ring);
        var userId = ring.Entry.UserId;
        call.Outcomes[userId] = outcome;
        if (ring.Hidden && outcome == RingOutcomes.Accepted)
        {
            // Joined after all: there is nothing left to hide.
            call.BlockedRecipients.Remove(userId);
        }

        if (!ring.RecipientHearsOfIt)
        {
            // A dismissed ring already stopped on the recipient's devices (that was their RingStopped),
            // and a hidden one never rang there: only the others are told.
            audience = (audience ?? state.Members.ToArray()).Where(m => m != userId).ToArray();
        }

        var announced = announcedOutcome ?? outcome;
        room.Emit(
            v => new RingStoppedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = v, UserId = userId, RingId = ring.Entry.RingId, Outcome = announced },
            audience);
        if (ring.RecipientHearsOfIt && !ring.Entry.Silent)
        {
            // The phone that was woken for it stops too.
            room.Outbox.Pushes.Add((userId, null, new RingStoppedPush(dmGroupId, call.CallId, ring.Entry.RingId, announced)));
        }

        metrics?.RingStopped(ring.Hidden ? RingOutcomes.Blocked : outcome);
    }

    /// <summary>
    /// Queues a change that lists rings, showing each member the rings they may see: a recipient rung
    /// hidden (they blocked the caller) does not see their own ring; everyone else sees every ring.
    /// </summary>
    public void EmitShowingRings(RoomRules room, Func<long, IReadOnlyList<RingingEntry>, VoiceEvent> create, IReadOnlyList<RingingEntry> ringing)
    {
        var hidden = state.Call?.Rings.Where(r => r.Hidden).Select(r => r.Entry.UserId).ToHashSet(StringComparer.Ordinal) ?? [];
        room.Emit(v => create(v, ringing), state.Members.Where(m => !hidden.Contains(m)).ToArray());
        foreach (var userId in hidden.Where(state.Members.Contains))
        {
            room.EmitAgain(v => create(v, ringing.Where(r => r.UserId != userId).ToArray()), [userId]);
        }
    }

    /// <summary>The reason a new 1:1 call ends at once when its only recipient was not rung.</summary>
    public static string NotRungEndReason(IReadOnlyList<NotRungEntry> notRung) =>
        notRung.Any(n => n.Reason == NotRungReasons.RateLimited) ? CallEndReasons.RateLimited : CallEndReasons.Busy;

    /// <summary>A 1:1 call whose only recipient did not answer ends when the caller is still alone.</summary>
    public void EndOneToOneIfUnanswered(RoomRules room, LiveCallState call, string reason, DateTimeOffset now)
    {
        if (!state.IsGroup && state.Call is not null && call.Rings.Count == 0 && call.Participants.Count == 1 &&
            call.EverJoined.Count == 1)
        {
            endCall(room, call, reason, now);
        }
    }

    private (LiveCallState Call, RingState Ring) RequireRing(string userId)
    {
        ensureMember(userId);

        // A hidden ring (the recipient blocked the caller) is not theirs to answer: it never rang them.
        if (state.Call is { } call && call.FindRing(userId) is { Hidden: false } ring)
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
            if (!state.Members.Contains(id))
            {
                throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{id}' is not a member of this DM.");
            }
        }
    }

    /// <summary>Refuses a re-ring beyond <see cref="CallOptions.RingsPerMinute"/> per member per DM.</summary>
    private void EnforceRingRate(string userId, DateTimeOffset now)
    {
        if (!state.RecentRings.TryGetValue(userId, out var recent))
        {
            return;
        }

        var window = recent.Where(at => at > now - RingRateWindow).ToArray();
        if (window.Length >= options.RingsPerMinute)
        {
            var retryAfter = window.Min() + RingRateWindow - now;
            throw new DmVoiceException(
                ErrorCodes.RateLimited,
                $"At most {options.RingsPerMinute} rings a minute per DM.",
                retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter);
        }
    }

    /// <summary>Counts a re-ring that is going ahead; stored with the ring itself.</summary>
    private void RecordRing(string userId, DateTimeOffset now)
    {
        if (!state.RecentRings.TryGetValue(userId, out var recent))
        {
            recent = [];
            state.RecentRings[userId] = recent;
        }

        recent.RemoveAll(at => at <= now - RingRateWindow);
        recent.Add(now);

        // Nobody else's old entries linger in the stored state.
        foreach (var (member, times) in state.RecentRings.ToArray())
        {
            if (times.TrueForAll(at => at <= now - RingRateWindow))
            {
                state.RecentRings.Remove(member);
            }
        }
    }
}
