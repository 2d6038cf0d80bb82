namespace DmVoice.Grains.Calls;

/// <summary>
/// Membership and routes: the DM's members as the group grain pushes them, and what this call knows
/// about each member while it is live (busy elsewhere? on which gateways are their devices?). A live
/// call registers with each member's user grain, which answers with the member's routes and keeps
/// the call posted (<see cref="RoutesChanged"/>) until the call deregisters.
/// </summary>
public sealed partial class DmCallGrain
{
    // Members whose user grain could not be reached when the call needed their routes; retried.
    private readonly HashSet<string> _detachedMembers = new(StringComparer.Ordinal);
    private IGrainTimer? _reattachTimer;

    public async Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup)
    {
        var removed = State.Members.Except(memberIds, StringComparer.Ordinal).ToArray();
        var added = memberIds.Except(State.Members, StringComparer.Ordinal).ToArray();
        if (State.Call is { } live && added.Length > 0)
        {
            // New members see the live call from now on; asked before anything changes.
            await AttachMembersAsync(live.CallId, added);
        }

        State.Known = memberIds.Count > 0;
        State.Members = memberIds.ToList();
        State.IsGroup = isGroup;

        if (State.Call is { } call)
        {
            foreach (var userId in removed)
            {
                // The removed user hears about it too, on their own devices.
                string[] audience = [.. State.Members, userId];
                if (call.FindParticipant(userId) is { } participant)
                {
                    RemoveParticipant(call, participant, LeaveReasons.Removed, audience);
                }

                if (call.FindRing(userId) is { } ring)
                {
                    StopRing(call, ring, RingOutcomes.Removed, audience);
                }
            }

            AfterParticipantsChanged(call);
            if (State.Call is not null)
            {
                DetachMembersAfterCommit(call.CallId, removed);
            }
        }

        await CommitAsync();
    }

    public Task<string?> RoutesChanged(string userId, GatewayRoute[] routes)
    {
        if (!State.Known || !State.Members.Contains(userId) || State.Call is not { } call)
        {
            // Nothing live here for this user: the answer lets their index drop a stale entry.
            return Task.FromResult<string?>(null);
        }

        _publisher.SetRoutes(userId, routes ?? []);
        _detachedMembers.Remove(userId);
        return Task.FromResult<string?>(call.CallId);
    }

    /// <summary>
    /// Registers the live call with these members and learns their status. Throws when a member
    /// cannot be reached, so a caller that has not changed anything yet fails cleanly.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, MemberStatus>> AttachMembersAsync(string callId, string[] memberIds)
    {
        var live = new LiveCallRef(Here, callId);
        var answers = await Task.WhenAll(memberIds.Select(id => GrainFactory.GetGrain<IUserVoiceGrain>(id).AddLiveCall(live)));
        var statuses = new Dictionary<string, MemberStatus>(memberIds.Length, StringComparer.Ordinal);
        for (var i = 0; i < memberIds.Length; i++)
        {
            statuses[memberIds[i]] = answers[i];
            _publisher.SetRoutes(memberIds[i], answers[i].Routes);
            _detachedMembers.Remove(memberIds[i]);
        }

        return statuses;
    }

    /// <summary>
    /// A new activation of a live call (after a restart or a move) asks every member again. Members
    /// that cannot be reached now are retried on a timer instead of failing the activation.
    /// </summary>
    private async Task ReattachMembersAsync(LiveCallState call)
    {
        var live = new LiveCallRef(Here, call.CallId);
        await Task.WhenAll(State.Members.ToArray().Select(async userId =>
        {
            try
            {
                var status = await GrainFactory.GetGrain<IUserVoiceGrain>(userId).AddLiveCall(live);
                _publisher.SetRoutes(userId, status.Routes);
            }
            catch (Exception ex)
            {
                LogMemberUnreachable(ex, DmGroupId, userId);
                _detachedMembers.Add(userId);
            }
        }));

        EnsureReattachTimer();
    }

    private void EnsureReattachTimer()
    {
        if (_detachedMembers.Count == 0 || _reattachTimer is not null)
        {
            return;
        }

        _reattachTimer = this.RegisterGrainTimer(
            async _ =>
            {
                if (State.Call is { } call && _detachedMembers.Count > 0)
                {
                    await ReattachMembersAsync(call);
                }

                if (_detachedMembers.Count == 0 || State.Call is null)
                {
                    _detachedMembers.Clear();
                    _reattachTimer?.Dispose();
                    _reattachTimer = null;
                }
            },
            new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(2), Period = TimeSpan.FromSeconds(5) });
    }

    /// <summary>After the commit, these members stop seeing the call: they are deregistered and their routes forgotten.</summary>
    private void DetachMembersAfterCommit(string callId, IEnumerable<string> memberIds)
    {
        foreach (var userId in memberIds)
        {
            _pendingDetachments.Add((userId, callId));
        }
    }

    private void DetachNow(string userId, string callId)
    {
        _publisher.ForgetRoutes(userId);
        _detachedMembers.Remove(userId);
        GrainFactory.GetGrain<IUserVoiceGrain>(userId).RemoveLiveCall(new LiveCallRef(Here, callId)).Ignore();
    }
}
