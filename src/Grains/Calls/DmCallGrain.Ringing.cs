namespace DmVoice.Grains.Calls;

/// <summary>
/// Ringing: the first joiner rings every other member, participants ring again or stop ringing, and
/// recipients decline or dismiss. The ring state of a recipient is shared by all of their devices.
/// </summary>
public sealed partial class DmCallGrain
{
    private static readonly TimeSpan RingRateWindow = TimeSpan.FromMinutes(1);

    public async Task<RingResult> Ring(string requesterId, IReadOnlyList<string>? recipientIds)
    {
        EnsureMember(requesterId);
        var call = State.Call ?? throw new DmVoiceException(ErrorCodes.NoActiveCall, "This DM has no live call to ring for.");
        if (call.FindParticipant(requesterId) is not { } ringer)
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
            return new RingResult([], []);
        }

        // Asked again: whether each is busy now, where their devices are, and whether they may be rung.
        var plan = await PlanRingsAsync(requesterId, await AttachMembersAsync(call.CallId, targets), startsCall: false);
        RecordRing(requesterId, now);
        var (ringing, notRung) = StartRings(call, plan, now, ringer.Voice, countsTowardLimit: false);
        if (ringing.Count > 0 || notRung.Count > 0)
        {
            EmitShowingRings(
                (v, visible) => new RingStartedEvent { DmGroupId = DmGroupId, CallId = call.CallId, Version = v, Ringing = visible, NotRung = notRung, RungBy = requesterId },
                ringing);
        }

        await CommitAsync();
        return new RingResult(ringing, notRung);
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
        if (!ring.Entry.Silent)
        {
            _pendingPushes.Add((userId, null, new RingStoppedPush(DmGroupId, call.CallId, ring.Entry.RingId, RingOutcomes.Dismissed)));
        }

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
    /// Creates the call once every other member has been asked whether they are busy, where their
    /// devices are and whether they may be rung. A member who cannot be reached fails the join before
    /// anything changed: no call without its rings and its <c>dmVoiceCallStarted</c>.
    /// </summary>
    private async Task<(LiveCallState Call, RingPlan Plan)> StartCallAsync(string starterId)
    {
        var callId = Guid.NewGuid().ToString("N");
        var statuses = await AttachMembersAsync(callId, State.Members.Where(m => m != starterId).ToArray());
        var plan = await PlanRingsAsync(starterId, statuses, startsCall: true);
        var call = new LiveCallState { CallId = callId, StartedAt = _clock.UtcNow, StartedBy = starterId };
        State.Call = call;
        return (call, plan);
    }

    /// <summary>Who a new ring would reach and how: members' status, and each free member's own answer on ringing.</summary>
    private sealed record RingPlan(IReadOnlyDictionary<string, MemberStatus> Statuses, IReadOnlyDictionary<string, RingVerdict> Verdicts);

    /// <summary>
    /// Asks each recipient who is not busy whether the caller may ring them (blocked, rung too often
    /// lately, do-not-disturb or a muted DM). Their settings grain calls nobody, so this cannot deadlock.
    /// </summary>
    private async Task<RingPlan> PlanRingsAsync(string callerId, IReadOnlyDictionary<string, MemberStatus> statuses, bool startsCall)
    {
        var here = Here;
        var free = statuses.Where(s => s.Value.ActiveCall is null || s.Value.ActiveCall == here).Select(s => s.Key).ToArray();
        var verdicts = await Task.WhenAll(free.Select(id => GrainFactory.GetGrain<IUserSettingsGrain>(id).CheckRing(callerId, DmGroupId, startsCall)));
        return new RingPlan(statuses, free.Zip(verdicts).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
    }

    /// <summary>
    /// Rings each recipient the plan allows. Busy members and members the caller rang too often lately
    /// are not rung (and said so, in <c>notRung</c>); a member who blocked the caller is rung hidden (see
    /// <see cref="RingState.Hidden"/>); do-not-disturb and muted DMs ring silently; audible rings are pushed.
    /// Rings of a call being started count against the caller's per-recipient limit once stored
    /// (<paramref name="countsTowardLimit"/>); re-rings inside a call have the call's own limit.
    /// </summary>
    private (List<RingingEntry> Ringing, List<NotRungEntry> NotRung) StartRings(LiveCallState call, RingPlan plan, DateTimeOffset now, VoiceParticipant caller, bool countsTowardLimit)
    {
        var ringing = new List<RingingEntry>(plan.Statuses.Count);
        var notRung = new List<NotRungEntry>();
        foreach (var (userId, status) in plan.Statuses)
        {
            if (!plan.Verdicts.TryGetValue(userId, out var verdict))
            {
                call.Outcomes[userId] = RingOutcomes.Busy;
                notRung.Add(new NotRungEntry(userId, NotRungReasons.Busy));
                _metrics.RingStopped(RingOutcomes.Busy);
                continue;
            }

            if (verdict == RingVerdict.RateLimited)
            {
                call.Outcomes[userId] = RingOutcomes.RateLimited;
                notRung.Add(new NotRungEntry(userId, NotRungReasons.RateLimited));
                _metrics.RingStopped(RingOutcomes.RateLimited);
                continue;
            }

            var entry = new RingingEntry(userId, Guid.NewGuid().ToString("N"), now + _options.RingTimeout, Silent: verdict == RingVerdict.Silent);
            var ring = new RingState { Entry = entry, Hidden = verdict == RingVerdict.Blocked };
            call.Rings.Add(ring);
            call.Outcomes.Remove(userId);
            ringing.Add(entry);
            if (countsTowardLimit)
            {
                _pendingRingCounts.Add((userId, caller.UserId));
            }

            if (ring.Hidden)
            {
                call.BlockedRecipients.Add(userId);
            }
            else if (!entry.Silent)
            {
                _pendingPushes.Add((userId, new RingStartedPush(
                    DmGroupId, call.CallId, entry.RingId, caller.UserId, caller.DisplayName, entry.ExpiresAt,
                    HasLiveDevice: status.Routes.Length > 0, State.IsGroup), null));
            }
        }

        return (ringing, notRung);
    }

    private void StopRing(LiveCallState call, RingState ring, string outcome, string[]? audience = null, string? announcedOutcome = null)
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
            audience = (audience ?? State.Members.ToArray()).Where(m => m != userId).ToArray();
        }

        var announced = announcedOutcome ?? outcome;
        Emit(
            v => new RingStoppedEvent
            {
                DmGroupId = DmGroupId,
                CallId = call.CallId,
                Version = v,
                UserId = userId,
                RingId = ring.Entry.RingId,
                Outcome = announced,
            },
            audience);
        if (ring.RecipientHearsOfIt && !ring.Entry.Silent)
        {
            // The phone that was woken for it stops too.
            _pendingPushes.Add((userId, null, new RingStoppedPush(DmGroupId, call.CallId, ring.Entry.RingId, announced)));
        }

        _metrics.RingStopped(ring.Hidden ? RingOutcomes.Blocked : outcome);
    }

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

    /// <summary>The reason a new 1:1 call ends at once when its only recipient was not rung.</summary>
    private static string NotRungEndReason(IReadOnlyList<NotRungEntry> notRung) =>
        notRung.Any(n => n.Reason == NotRungReasons.RateLimited) ? CallEndReasons.RateLimited : CallEndReasons.Busy;

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

        // A hidden ring (the recipient blocked the caller) is not theirs to answer: it never rang them.
        if (State.Call is { } call && call.FindRing(userId) is { Hidden: false } ring)
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
