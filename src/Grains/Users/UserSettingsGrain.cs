using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;

namespace DmVoice.Grains.Users;

[GenerateSerializer]
[Alias("DmVoice.UserSettingsState")]
public sealed class UserSettingsState
{
    /// <summary>One of <see cref="UserStatuses.Settable"/>.</summary>
    [Id(0)] public string Status { get; set; } = UserStatuses.Online;

    /// <summary>Blocked user id → when they were blocked.</summary>
    [Id(1)] public Dictionary<string, DateTimeOffset> Blocks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Muted DM id → when the mute ends (null: when the user unmutes it).</summary>
    [Id(2)] public Dictionary<string, DateTimeOffset?> MutedDms { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The name of the user's own token, as a gateway last saw it.</summary>
    [Id(3)] public string? DisplayName { get; set; }

    /// <summary>Who may invite the user to voice channels: one of <see cref="ChannelInviteSettings.All"/>.</summary>
    [Id(4)] public string ChannelInvites { get; set; } = ChannelInviteSettings.Everyone;
}

/// <summary>
/// A user's own settings. Everything here is the user's say about themselves, so it needs nobody else, and
/// any grain may await it. What decides ringing (<see cref="GetRingSettings"/>) is copied by the user's own
/// <see cref="UserVoiceGrain"/>, which answers the calls that ring them; before changing any of it, this grain
/// has that copy dropped (<see cref="IUserVoiceGrain.ForgetRingSettings"/>, interleaving and in memory only, so
/// it cannot wait on anything: the one grain this one calls). A copy dropped for a change that then fails is
/// fetched again. An activation that served nothing but that copy is let go once idle.
/// A change whose write fails drops the activation (<see cref="StateWrites"/>), so what it changed in memory
/// goes with it: the next request sees the last stored settings, and a retry really writes.
/// The profile others read (<see cref="GetProfile"/>) is answered between turns: it sits on other users'
/// read paths (a call's presence lists everyone's), which must not wait for this user's write in flight
/// (Redis paused for writes holds it for seconds). Its status is the one last stored, never a change that
/// may still fail; its name is the user's own token's, as soon as a gateway reports it.
/// </summary>
public sealed class UserSettingsGrain(
    [PersistentState("settings", StorageNames.Default)] IPersistentState<UserSettingsState> state,
    CallClock clock) : Grain, IUserSettingsGrain, IIncomingGrainCallFilter
{
    /// <summary>The status as last stored: read at activation, replaced once a new one is stored.</summary>
    private string _storedStatus = UserStatuses.Online;

    /// <summary>Whether this activation served anything but <see cref="GetRingSettings"/>: then it stays while used.</summary>
    private bool _servedMore;

    private UserSettingsState State => state.State;

    private string UserId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storedStatus = State.Status;
        return Task.CompletedTask;
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        _servedMore |= context.MethodName != nameof(GetRingSettings);
        return context.Invoke();
    }

    public Task<string> GetStatus() => Task.FromResult(State.Status);

    public async Task<string> SetStatus(string status)
    {
        if (!UserStatuses.IsSettable(status))
        {
            throw DmVoiceException.Validation($"'status' must be one of {string.Join(", ", UserStatuses.Settable)}.");
        }

        if (State.Status != status)
        {
            if ((status == UserStatuses.DoNotDisturb) != (State.Status == UserStatuses.DoNotDisturb))
            {
                await ForgetRingSettingsCopyAsync();
            }

            State.Status = status;
            await state.WriteOrDropAsync(this);
            _storedStatus = status;
        }

        return status;
    }

    public Task<UserProfile> GetProfile() => Task.FromResult(new UserProfile(UserId, State.DisplayName, _storedStatus));

    public async Task RememberDisplayName(string displayName)
    {
        string? name;
        try
        {
            name = Validate.OptionalName(displayName, "displayName");
        }
        catch (DmVoiceException)
        {
            return;
        }

        if (name is not null && name != State.DisplayName)
        {
            State.DisplayName = name;
            await state.WriteOrDropAsync(this);
        }
    }

    public async Task<BlockedUser> Block(string userId)
    {
        Validate.Id(userId, "userId");
        if (userId == UserId)
        {
            throw DmVoiceException.Validation("You cannot block yourself.");
        }

        if (State.Blocks.TryGetValue(userId, out var since))
        {
            return new BlockedUser(userId, since);
        }

        if (State.Blocks.Count >= UserSettingsLimits.MaxBlocks)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"You can block at most {UserSettingsLimits.MaxBlocks} users; unblock someone first.");
        }

        await ForgetRingSettingsCopyAsync();
        var now = clock.UtcNow;
        State.Blocks[userId] = now;
        await state.WriteOrDropAsync(this);
        return new BlockedUser(userId, now);
    }

    public async Task<bool> Unblock(string userId)
    {
        Validate.Id(userId, "userId");
        if (!State.Blocks.ContainsKey(userId))
        {
            return false;
        }

        await ForgetRingSettingsCopyAsync();
        State.Blocks.Remove(userId);

        await state.WriteOrDropAsync(this);
        return true;
    }

    public Task<IReadOnlyList<BlockedUser>> GetBlocks() => Task.FromResult<IReadOnlyList<BlockedUser>>(
        State.Blocks
            .OrderByDescending(b => b.Value)
            .ThenBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => new BlockedUser(b.Key, b.Value))
            .ToArray());

    public Task<bool> IsBlocking(string userId) => Task.FromResult(State.Blocks.ContainsKey(userId));

    public Task<string> GetChannelInvites() => Task.FromResult(State.ChannelInvites);

    public async Task<string> SetChannelInvites(string channelInvites)
    {
        if (!ChannelInviteSettings.IsValid(channelInvites))
        {
            throw DmVoiceException.Validation($"'channelInvites' must be one of {string.Join(", ", ChannelInviteSettings.All)}.");
        }

        if (State.ChannelInvites != channelInvites)
        {
            State.ChannelInvites = channelInvites;
            await state.WriteOrDropAsync(this);
        }

        return channelInvites;
    }

    // One answer for a refusal and a block, so an inviter cannot tell the two apart.
    public Task<bool> TakesChannelInviteFrom(string inviterId) =>
        Task.FromResult(State.ChannelInvites == ChannelInviteSettings.Everyone && !State.Blocks.ContainsKey(inviterId));

    public async Task<DmSettings> SetDmSettings(string dmGroupId, bool muted, DateTimeOffset? mutedUntil)
    {
        Validate.Id(dmGroupId, "dmGroupId");
        var now = clock.UtcNow;
        if (!muted)
        {
            if (mutedUntil is not null)
            {
                throw DmVoiceException.Validation("'mutedUntil' goes only with 'muted': true.");
            }
        }
        else
        {
            if (mutedUntil is { } until && (until <= now || until > now + UserSettingsLimits.MaxMuteDuration))
            {
                throw DmVoiceException.Validation("'mutedUntil' must be in the future and at most a year ahead.");
            }

            if (!State.MutedDms.ContainsKey(dmGroupId) && State.MutedDms.Count(m => !HasEnded(m.Value, now)) >= UserSettingsLimits.MaxMutedDms)
            {
                throw new DmVoiceException(ErrorCodes.LimitReached, $"You can mute at most {UserSettingsLimits.MaxMutedDms} DMs; unmute one first.");
            }
        }

        var changesMute = muted
            ? !State.MutedDms.TryGetValue(dmGroupId, out var current) || current != mutedUntil
            : State.MutedDms.ContainsKey(dmGroupId);
        if (changesMute)
        {
            await ForgetRingSettingsCopyAsync();
        }

        var changed = PruneEndedMutes(now) | changesMute;
        if (muted)
        {
            State.MutedDms[dmGroupId] = mutedUntil;
        }
        else
        {
            State.MutedDms.Remove(dmGroupId);
        }

        if (changed)
        {
            await state.WriteOrDropAsync(this);
        }

        return SettingsFor(dmGroupId, now);
    }

    public Task<IReadOnlyList<DmSettings>> GetDmSettings(IReadOnlyList<string> dmGroupIds)
    {
        var now = clock.UtcNow;
        return Task.FromResult<IReadOnlyList<DmSettings>>(dmGroupIds.Select(id => SettingsFor(id, now)).ToArray());
    }

    public async Task ForgetDm(string dmGroupId)
    {
        if (State.MutedDms.ContainsKey(dmGroupId))
        {
            await ForgetRingSettingsCopyAsync();
            State.MutedDms.Remove(dmGroupId);
            await state.WriteOrDropAsync(this);
        }
    }

    public Task<RingSettings> GetRingSettings()
    {
        if (!_servedMore)
        {
            // Activated only to hand the user grain its copy (a call start ringing an offline user): let go.
            DeactivateOnIdle();
        }

        var now = clock.UtcNow;
        var dnd = State.Status == UserStatuses.DoNotDisturb;
        var muted = State.MutedDms.Where(m => !HasEnded(m.Value, now)).Select(m => new DmSettings(m.Key, true, m.Value)).ToArray();
        return Task.FromResult(!dnd && State.Blocks.Count == 0 && muted.Length == 0
            ? RingSettings.None
            : new RingSettings(dnd, [.. State.Blocks.Keys], muted));
    }

    /// <summary>
    /// Drops the user grain's copy of the ring settings before they change, so no call rings by the old ones
    /// once the change is stored. Throws when the user grain cannot be reached: the change is then refused
    /// before anything changed.
    /// </summary>
    private Task ForgetRingSettingsCopyAsync() => GrainFactory.GetGrain<IUserVoiceGrain>(UserId).ForgetRingSettings();

    private static bool HasEnded(DateTimeOffset? until, DateTimeOffset now) => until is { } end && end <= now;

    private DmSettings SettingsFor(string dmGroupId, DateTimeOffset now) =>
        State.MutedDms.TryGetValue(dmGroupId, out var until) && (until is null || until > now)
            ? new DmSettings(dmGroupId, true, until)
            : new DmSettings(dmGroupId, false, null);

    /// <summary>Drops mutes that have ended, so they neither count toward the limit nor linger. Returns whether any went.</summary>
    private bool PruneEndedMutes(DateTimeOffset now)
    {
        var ended = State.MutedDms.Where(m => m.Value <= now).Select(m => m.Key).ToArray();
        foreach (var id in ended)
        {
            State.MutedDms.Remove(id);
        }

        return ended.Length > 0;
    }
}
