namespace DmVoice.Grains.Rooms;

/// <summary>
/// Members and routes: what a live room knows about each member (busy elsewhere? on which gateways are
/// their devices?). A live room registers with each member's user grain, which answers with the
/// member's routes and keeps the room posted (<see cref="RoutesChanged"/>) until the room deregisters.
/// While live, the room checks its members now and then and repairs disagreements.
/// </summary>
public abstract partial class VoiceRoomGrain
{
    // Members whose user grain could not be reached when the call needed their routes; retried.
    private readonly HashSet<string> _detachedMembers = new(StringComparer.Ordinal);
    private IGrainTimer? _memberCheck;
    private TimeSpan _memberCheckPeriod;

    public Task<string?> RoutesChanged(string userId, GatewayRoute[] routes)
    {
        if (!IsMember(userId) || RoomState.Live is not { } live)
        {
            // Nothing live here for this user: the answer lets their index drop a stale entry.
            return Task.FromResult<string?>(null);
        }

        _publisher.SetRoutes(userId, routes ?? []);
        _detachedMembers.Remove(userId);
        return Task.FromResult<string?>(live.CallId);
    }

    /// <summary>
    /// Registers the live call with these members and learns their status. Throws when a member
    /// cannot be reached, so a caller that has not changed anything yet fails cleanly.
    /// </summary>
    protected async Task<IReadOnlyDictionary<string, MemberStatus>> AttachMembersAsync(string callId, string[] memberIds)
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

    public Task<bool> HoldsSeat(string userId, long session) =>
        Task.FromResult(RoomState.Live?.FindParticipant(userId) is { } participant && participant.Session == session);

    /// <summary>
    /// A new activation of a live room (after a restart or a move) asks every member again, before it
    /// publishes anything. Members that cannot be reached now are retried by the member check.
    /// </summary>
    private async Task ReattachMembersAsync(ILiveRoomState live)
    {
        await AskMembersAsync(live.CallId);
        EnsureMemberCheck();
    }

    /// <summary>
    /// Asks every member where they are (registering the live call with them again, which also repairs
    /// their index of live calls) and refreshes their routes. Members that cannot be reached are left
    /// out of the answer and marked for another try.
    /// </summary>
    protected async Task<Dictionary<string, MemberStatus>> AskMembersAsync(string callId, string[]? memberIds = null)
    {
        var live = new LiveCallRef(Here, callId);
        var members = memberIds ?? RoomState.Members.ToArray();
        var answers = await AskEachAsync(members, user => user.AddLiveCall(live));

        var statuses = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        for (var i = 0; i < members.Length; i++)
        {
            if (answers[i] is { } status)
            {
                statuses[members[i]] = status;
                _publisher.SetRoutes(members[i], status.Routes);
                _detachedMembers.Remove(members[i]);
            }
            else
            {
                _detachedMembers.Add(members[i]);
            }
        }

        return statuses;
    }

    /// <summary>
    /// While a call is live it checks its members now and then: routes and registrations that went
    /// missing are repaired, and a participant whose user grain says they are elsewhere (a join whose
    /// user side was never stored, a move whose leave was lost) is removed. Soon after a member could not
    /// be reached, otherwise every <see cref="Hosting.CallOptions.MemberCheckInterval"/>.
    /// </summary>
    protected void EnsureMemberCheck()
    {
        var period = _detachedMembers.Count > 0 ? TimeSpan.FromSeconds(2) : Options.MemberCheckInterval;
        if (RoomState.Live is null || (_memberCheck is not null && _memberCheckPeriod == period))
        {
            return;
        }

        _memberCheck?.Dispose();
        _memberCheckPeriod = period;
        _memberCheck = this.RegisterGrainTimer(
            _ => CheckMembersAsync(),
            new GrainTimerCreationOptions { DueTime = period, Period = period });
    }

    private async Task CheckMembersAsync()
    {
        if (RoomState.Live is not { } live)
        {
            _memberCheck?.Dispose();
            _memberCheck = null;
            _detachedMembers.Clear();
            return;
        }

        var statuses = await AskMembersAsync(live.CallId);
        var here = Here;
        var ghosts = live.Participants
            .Where(p => statuses.TryGetValue(p.Voice.UserId, out var status) && status.ActiveCall != here)
            .ToArray();
        foreach (var ghost in ghosts)
        {
            var elsewhere = statuses[ghost.Voice.UserId].ActiveCall is not null;
            LogGhostParticipant(RoomLabel, ghost.Voice.UserId);
            RemoveParticipant(live, ghost, elsewhere ? LeaveReasons.Moved : LeaveReasons.Disconnected);
            OnLeftForMedia(ghost.Voice.UserId);
        }

        if (ghosts.Length > 0)
        {
            AfterParticipantsChanged(live);
            await CommitAsync();
        }

        // The other way round: a member who believes they are in this call but holds no seat (their
        // leave or removal was stored here but never reached them) is told they are out.
        foreach (var (userId, status) in statuses)
        {
            if (status.ActiveCall == here && !status.Joining && live.FindParticipant(userId) is null)
            {
                LogSeatlessMember(RoomLabel, userId);
                GrainFactory.GetGrain<IUserVoiceGrain>(userId).OnRemovedFromCall(here, status.Session).Ignore();
            }
        }

        EnsureMemberCheck();
    }

    /// <summary>
    /// A room that is not live holds nobody's routes (members' user grains post route changes only to
    /// live rooms), yet a channel's own changes must reach its members' devices. With direct delivery,
    /// this asks each of these users where their devices are now (an interleaving read that registers
    /// nothing) for the events of the coming commit; <see cref="ReturnRoutes"/> forgets them after it,
    /// since nobody would keep them current. A user who cannot be reached misses the event, as a
    /// detached member of a live room does, and catches up by re-fetching. Returns the users asked.
    /// </summary>
    protected async Task<string[]> BorrowRoutesAsync(string[] userIds)
    {
        if (!_publisher.UsesRoutes || RoomState.Live is not null || userIds.Length == 0)
        {
            return [];
        }

        var answers = await AskEachAsync(userIds, user => user.GetRoutes());

        for (var i = 0; i < userIds.Length; i++)
        {
            if (answers[i] is { } routes)
            {
                _publisher.SetRoutes(userIds[i], routes);
            }
        }

        return userIds;
    }

    /// <summary>Forgets routes taken by <see cref="BorrowRoutesAsync"/>, unless the room went live meanwhile and keeps them current.</summary>
    protected void ReturnRoutes(string[] userIds)
    {
        if (RoomState.Live is not null)
        {
            return;
        }

        foreach (var userId in userIds)
        {
            _publisher.ForgetRoutes(userId);
        }
    }

    /// <summary>Asks each user's grain at once; a user who cannot be reached is logged and answers null.</summary>
    private Task<T?[]> AskEachAsync<T>(string[] userIds, Func<IUserVoiceGrain, Task<T>> ask)
        where T : class =>
        Task.WhenAll(userIds.Select(async userId =>
        {
            try
            {
                return await ask(GrainFactory.GetGrain<IUserVoiceGrain>(userId));
            }
            catch (Exception ex)
            {
                LogMemberUnreachable(ex, RoomLabel, userId);
                return null;
            }
        }));

    /// <summary>After the commit, these members stop seeing the call: they are deregistered and their routes forgotten.</summary>
    protected void DetachMembersAfterCommit(string callId, IEnumerable<string> memberIds)
    {
        foreach (var userId in memberIds)
        {
            _pendingDetachments.Add((userId, callId));
        }
    }

    protected void DetachNow(string userId, string callId)
    {
        _publisher.ForgetRoutes(userId);
        _detachedMembers.Remove(userId);
        GrainFactory.GetGrain<IUserVoiceGrain>(userId).RemoveLiveCall(new LiveCallRef(Here, callId)).Ignore();
    }
}
