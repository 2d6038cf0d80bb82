using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Options;

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
/// A user's own settings and the ring eligibility that follows from them. Everything here is the user's
/// say about themselves, so it needs nobody else: this grain calls no other grain, and any grain may await
/// it. The count of rings per caller lives in memory: a restart forgets it, which only ever lets a ring through.
/// A change whose write fails drops the activation (<see cref="StateWrites"/>), so what it changed in memory
/// goes with it: the next request sees the last stored settings, and a retry really writes.
/// The profile others read (<see cref="GetProfile"/>) is answered between turns: it sits on other users'
/// read paths (a call's presence lists everyone's), which must not wait for this user's write in flight
/// (Redis paused for writes holds it for seconds). Its status is the one last stored, never a change that
/// may still fail; its name is the user's own token's, as soon as a gateway reports it.
/// </summary>
public sealed class UserSettingsGrain(
    [PersistentState("settings", StorageNames.Default)] IPersistentState<UserSettingsState> state,
    CallClock clock,
    IOptions<CallOptions> options) : Grain, IUserSettingsGrain
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>Caller id → when their recent rings of this user were (oldest first, at most an hour back).</summary>
    private readonly Dictionary<string, Queue<DateTimeOffset>> _ringsByCaller = new(StringComparer.Ordinal);

    /// <summary>The status as last stored: read at activation, replaced once a new one is stored.</summary>
    private string _storedStatus = UserStatuses.Online;

    private UserSettingsState State => state.State;

    private string UserId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storedStatus = State.Status;
        return Task.CompletedTask;
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

        var now = clock.UtcNow;
        State.Blocks[userId] = now;
        await state.WriteOrDropAsync(this);
        return new BlockedUser(userId, now);
    }

    public async Task<bool> Unblock(string userId)
    {
        Validate.Id(userId, "userId");
        if (!State.Blocks.Remove(userId))
        {
            return false;
        }

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
        var changed = PruneEndedMutes(now);
        if (!muted)
        {
            if (mutedUntil is not null)
            {
                throw DmVoiceException.Validation("'mutedUntil' goes only with 'muted': true.");
            }

            changed |= State.MutedDms.Remove(dmGroupId);
        }
        else
        {
            if (mutedUntil is { } until && (until <= now || until > now + UserSettingsLimits.MaxMuteDuration))
            {
                throw DmVoiceException.Validation("'mutedUntil' must be in the future and at most a year ahead.");
            }

            if (!State.MutedDms.ContainsKey(dmGroupId) && State.MutedDms.Count >= UserSettingsLimits.MaxMutedDms)
            {
                throw new DmVoiceException(ErrorCodes.LimitReached, $"You can mute at most {UserSettingsLimits.MaxMutedDms} DMs; unmute one first.");
            }

            changed |= !State.MutedDms.TryGetValue(dmGroupId, out var current) || current != mutedUntil;
            State.MutedDms[dmGroupId] = mutedUntil;
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
        if (State.MutedDms.Remove(dmGroupId))
        {
            await state.WriteOrDropAsync(this);
        }
    }

    public Task<RingVerdict> CheckRing(string callerId, string dmGroupId, bool startsCall)
    {
        // The per-caller limit answers before the block, and for every ring (a call start or a re-ring): a
        // blocked caller at the limit is told exactly what anyone else at it is told, so the limit cannot
        // reveal a block. Their hidden rings count like any other (the call counts every ring it stores).
        var now = clock.UtcNow;
        if (IsOverRingLimit(callerId, now))
        {
            return Task.FromResult(RingVerdict.RateLimited);
        }

        if (State.Blocks.ContainsKey(callerId))
        {
            return Task.FromResult(RingVerdict.Blocked);
        }

        var silent = State.Status == UserStatuses.DoNotDisturb || SettingsFor(dmGroupId, now).Muted;
        return Task.FromResult(silent ? RingVerdict.Silent : RingVerdict.Ring);
    }

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

    /// <summary>Whether the caller has used up their rings of this user for the last minute or hour.</summary>
    private bool IsOverRingLimit(string callerId, DateTimeOffset now)
    {
        if (!_ringsByCaller.TryGetValue(callerId, out var recent))
        {
            return false;
        }

        var lastHour = recent.Count(at => at > now - Hour);
        var lastMinute = recent.Count(at => at > now - Minute);
        return lastHour >= options.Value.RingsPerCallerPerHour || lastMinute >= options.Value.RingsPerCallerPerMinute;
    }

    public Task CountRing(string callerId)
    {
        var now = clock.UtcNow;
        if (!_ringsByCaller.TryGetValue(callerId, out var recent))
        {
            recent = new Queue<DateTimeOffset>();
            _ringsByCaller[callerId] = recent;
        }

        recent.Enqueue(now);

        // Rings older than an hour no longer count; callers who rang nobody for an hour need no memory.
        foreach (var (caller, rings) in _ringsByCaller.ToArray())
        {
            while (rings.Count > 0 && rings.Peek() <= now - Hour)
            {
                rings.Dequeue();
            }

            if (rings.Count == 0)
            {
                _ringsByCaller.Remove(caller);
            }
        }

        return Task.CompletedTask;
    }
}
