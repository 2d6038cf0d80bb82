namespace DmVoice.Abstractions;

/// <summary>
/// What a user has said about themselves and about who may reach them (key: user id): their status,
/// the users they block, the DMs they muted for themselves, and the display name of their own token as
/// the gateway last saw it. What decides whether and how the user is rung (<see cref="GetRingSettings"/>)
/// is copied by the user's own <see cref="IUserVoiceGrain"/>, which answers the calls that ring them; before
/// any change to it, this grain has that copy dropped (<see cref="IUserVoiceGrain.ForgetRingSettings"/>).
/// That call interleaves and is the only one this grain makes, so any grain may await it.
/// </summary>
[Alias("DmVoice.IUserSettingsGrain")]
public interface IUserSettingsGrain : IGrainWithStringKey
{
    /// <summary>The status the user chose (one of <see cref="UserStatuses.Settable"/>).</summary>
    [ReadOnly]
    [Alias("GetStatus")]
    Task<string> GetStatus();

    /// <summary>Sets the status; <see cref="ErrorCodes.ValidationFailed"/> for anything but the settable ones.</summary>
    [Alias("SetStatus")]
    Task<string> SetStatus(string status);

    /// <summary>
    /// What others may see of this user: the name from their own token and their chosen status as last
    /// stored. Interleaving: it never waits for a write of the user's own in flight.
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetProfile")]
    Task<UserProfile> GetProfile();

    /// <summary>
    /// Remembers the display name of the user's own token, as the gateway saw it on a request. One-way:
    /// a gateway never waits for it. Names that are not valid display names are ignored.
    /// </summary>
    [OneWay]
    [Alias("RememberDisplayName")]
    Task RememberDisplayName(string displayName);

    /// <summary>
    /// Blocks a user (idempotent: blocking again keeps the first time). Not oneself; at most
    /// <see cref="UserSettingsLimits.MaxBlocks"/> (<see cref="ErrorCodes.LimitReached"/>).
    /// </summary>
    [Alias("Block")]
    Task<BlockedUser> Block(string userId);

    /// <summary>Unblocks a user; false when they were not blocked.</summary>
    [Alias("Unblock")]
    Task<bool> Unblock(string userId);

    /// <summary>Everyone this user blocks, most recent first.</summary>
    [ReadOnly]
    [Alias("GetBlocks")]
    Task<IReadOnlyList<BlockedUser>> GetBlocks();

    /// <summary>Who may invite this user to voice channels: one of <see cref="ChannelInviteSettings.All"/>.</summary>
    [ReadOnly]
    [Alias("GetChannelInvites")]
    Task<string> GetChannelInvites();

    /// <summary>Sets who may invite this user to voice channels; <see cref="ErrorCodes.ValidationFailed"/> for another value.</summary>
    [Alias("SetChannelInvites")]
    Task<string> SetChannelInvites(string channelInvites);

    /// <summary>
    /// Whether <paramref name="inviterId"/> may invite this user to a voice channel: not when this user refuses
    /// invites, nor when they block the inviter. One answer for both, so it reveals no block.
    /// </summary>
    [ReadOnly]
    [Alias("TakesChannelInviteFrom")]
    Task<bool> TakesChannelInviteFrom(string inviterId);

    /// <summary>Whether this user blocks <paramref name="userId"/>.</summary>
    [ReadOnly]
    [Alias("IsBlocking")]
    Task<bool> IsBlocking(string userId);

    /// <summary>
    /// Mutes or unmutes one DM for this user. The caller checks membership first (the DM group grain is
    /// the authority on it). A mute with an end must end in the future and within a year.
    /// </summary>
    [Alias("SetDmSettings")]
    Task<DmSettings> SetDmSettings(string dmGroupId, bool muted, DateTimeOffset? mutedUntil);

    /// <summary>This user's settings for each DM asked (unmuted when none were set, or a mute has ended).</summary>
    [ReadOnly]
    [Alias("GetDmSettings")]
    Task<IReadOnlyList<DmSettings>> GetDmSettings(IReadOnlyList<string> dmGroupIds);

    /// <summary>The user left the DM: their settings for it go. One-way, from the user's directory.</summary>
    [OneWay]
    [Alias("ForgetDm")]
    Task ForgetDm(string dmGroupId);

    /// <summary>
    /// What decides whether and how this user is rung, for their own <see cref="IUserVoiceGrain"/> to keep:
    /// do-not-disturb, the users they block and the DMs they muted (mutes that have ended left out).
    /// Read-only. An activation that served nothing else is let go once idle: a call start that rang an
    /// offline user keeps no settings grain of theirs in memory.
    /// </summary>
    [ReadOnly]
    [Alias("GetRingSettings")]
    Task<RingSettings> GetRingSettings();
}

/// <summary>Whether and how a member may be rung by a caller: their user grain's answer (<see cref="MemberStatus.Ring"/>).</summary>
[GenerateSerializer]
[Alias("DmVoice.RingVerdict")]
public enum RingVerdict
{
    /// <summary>Ring, with sound and a push notification.</summary>
    Ring,

    /// <summary>
    /// Ring silently: the ring exists, shows in presence and history, its events say <c>silent</c>, and no
    /// push goes out (the recipient is on do-not-disturb, or muted this DM).
    /// </summary>
    Silent,

    /// <summary>Do not ring: the recipient blocks the caller. Outcome <see cref="RingOutcomes.Blocked"/>, never shown to the caller.</summary>
    Blocked,

    /// <summary>Do not ring: the caller rang this recipient too often. Outcome <see cref="RingOutcomes.RateLimited"/>.</summary>
    RateLimited,
}

/// <summary>The statuses a user can choose, and what others see.</summary>
public static class UserStatuses
{
    public const string Online = "online";
    public const string Idle = "idle";
    public const string DoNotDisturb = "dnd";

    /// <summary>Chosen by the user; others see <see cref="Offline"/>.</summary>
    public const string Invisible = "invisible";

    /// <summary>Never chosen: what others see of an invisible user, or of one with no device connected.</summary>
    public const string Offline = "offline";

    public static IReadOnlyList<string> Settable { get; } = [Online, Idle, DoNotDisturb, Invisible];

    public static bool IsSettable(string? status) => status is Online or Idle or DoNotDisturb or Invisible;

    /// <summary>What others see: offline when invisible or when no device is connected, else the chosen status.</summary>
    public static string Visible(string chosen, bool hasLiveDevice) =>
        !hasLiveDevice || chosen == Invisible ? Offline : chosen;
}

/// <summary>Limits on what one user keeps in their settings.</summary>
public static class UserSettingsLimits
{
    public const int MaxBlocks = 1000;
    public const int MaxMutedDms = 1000;

    /// <summary>How far ahead a timed mute may end.</summary>
    public static readonly TimeSpan MaxMuteDuration = TimeSpan.FromDays(366);
}

/// <summary>What others may see of a user: the name from their own token (null until a gateway saw one) and their chosen status.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.UserProfile")]
public sealed record UserProfile(
    [property: Id(0)] string UserId,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] string Status);

/// <summary>A user someone blocks, and since when.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.BlockedUser")]
public sealed record BlockedUser(
    [property: Id(0)] string UserId,
    [property: Id(1)] DateTimeOffset BlockedAt);

/// <summary>
/// A user's say on being rung, as <see cref="IUserSettingsGrain.GetRingSettings"/> answers it. Immutable: a
/// grain in the same process receives it without a copy, so the settings grain builds a new one each time.
/// </summary>
/// <param name="DoNotDisturb">The user's status is <see cref="UserStatuses.DoNotDisturb"/>: every ring is silent.</param>
/// <param name="Blocked">The users they block: never rung by them.</param>
/// <param name="MutedDms">The DMs they muted, with each mute's end: rings there are silent until it.</param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingSettings")]
public sealed record RingSettings(
    [property: Id(0)] bool DoNotDisturb,
    [property: Id(1)] string[] Blocked,
    [property: Id(2)] DmSettings[] MutedDms)
{
    /// <summary>No do-not-disturb, no blocks, no mutes: what most users have.</summary>
    public static RingSettings None { get; } = new(false, [], []);
}

/// <summary>One user's own settings for one DM. <c>MutedUntil</c> is null for a mute without an end.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmSettings")]
public sealed record DmSettings(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] bool Muted,
    [property: Id(2)] DateTimeOffset? MutedUntil);
