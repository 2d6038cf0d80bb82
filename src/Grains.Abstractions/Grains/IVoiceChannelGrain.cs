namespace DmVoice.Abstractions;

/// <summary>
/// A voice channel (key: channel id): its name, owner, access list and user limit, and the voice in it.
/// One grain for both, so a member removed from the access list leaves the voice in the same write.
/// Non-members cannot tell a channel from a missing one (<see cref="ErrorCodes.ChannelNotFound"/>).
/// </summary>
[Alias("DmVoice.IVoiceChannelGrain")]
public interface IVoiceChannelGrain : IVoiceRoomGrain
{
    /// <summary>
    /// Creates the channel with <paramref name="ownerId"/> as owner and only member; <paramref name="memberIds"/>
    /// are invited (each may accept or decline). Counts against the owner's channel limits;
    /// <see cref="ErrorCodes.CannotAddUser"/> when one of them cannot be invited by the owner (nothing is created).
    /// </summary>
    [Alias("Create")]
    Task<VoiceChannel> Create(string ownerId, string name, IReadOnlyList<string> memberIds, int userLimit);

    [Alias("Get")]
    Task<VoiceChannel> Get(string requesterId);

    /// <summary>The owner renames the channel or changes its user limit.</summary>
    [Alias("Update")]
    Task<VoiceChannel> Update(string requesterId, VoiceChannelPatch patch);

    /// <summary>The owner deletes the channel: everyone in its voice leaves (<c>removed</c>).</summary>
    [Alias("Delete")]
    Task Delete(string requesterId);

    /// <summary>
    /// The owner invites a user: they get access once they accept. Idempotent for a member or a user already
    /// invited; <see cref="ErrorCodes.CannotAddUser"/> when the user cannot be invited by the owner, whatever the reason.
    /// </summary>
    [Alias("AddMember")]
    Task<VoiceChannel> AddMember(string requesterId, string userId);

    /// <summary>
    /// The owner takes a user's access away or withdraws their invite (or a member gives up their own access, or
    /// an invited user declines): a member leaves the voice (<c>removed</c>). Returns null when the caller removed
    /// themselves and so can no longer see the channel.
    /// </summary>
    [Alias("RemoveMember")]
    Task<VoiceChannel?> RemoveMember(string requesterId, string userId);

    [Alias("GetPresence")]
    Task<ChannelPresence> GetPresence(string requesterId);

    /// <summary>The invite <paramref name="userId"/> has to this channel; <see cref="ErrorCodes.ChannelNotFound"/> when none.</summary>
    [Alias("GetInvite")]
    Task<ChannelInvite> GetInvite(string userId);

    /// <summary>
    /// The invited user accepts: they become a member and see its voice. <see cref="ErrorCodes.ChannelNotFound"/>
    /// without an invite; <see cref="ErrorCodes.LimitReached"/> when their list of channels is full.
    /// </summary>
    [Alias("AcceptInvite")]
    Task<VoiceChannel> AcceptInvite(string userId);

    /// <summary>The invited user declines: the invite goes. <see cref="ErrorCodes.ChannelNotFound"/> without an invite.</summary>
    [Alias("DeclineInvite")]
    Task DeclineInvite(string userId);
}

/// <summary>The voice channels a user may enter (key: user id), in id order, so "my channels" reads one grain.</summary>
[Alias("DmVoice.IUserChannelsGrain")]
public interface IUserChannelsGrain : IGrainWithStringKey
{
    /// <summary>The user has access (created the channel, or accepted an invite, which goes).</summary>
    [Alias("AddChannel")]
    Task AddChannel(string channelId);

    /// <summary>The user no longer has anything to do with the channel: access, a pending invite and ownership all go.</summary>
    [Alias("RemoveChannel")]
    Task RemoveChannel(string channelId);

    /// <summary>
    /// This user is about to create channel <paramref name="channelId"/> naming <paramref name="invites"/> users:
    /// counts it against their limits, or refuses. 409 <see cref="ErrorCodes.LimitReached"/> at
    /// <c>Channels:OwnedPerUser</c> owned or <c>Channels:ListedPerUser</c> listed; 429
    /// <see cref="ErrorCodes.RateLimited"/> (with the wait) beyond <c>Channels:CreatedPerMinute</c> creations or
    /// <c>Channels:AccessChangesPerMinute</c> access changes (the invites count); 422 when more are named at
    /// once than that. A creation that fails after this still counts toward the rates (the channel gives the
    /// owned slot back with <see cref="RemoveChannel"/>).
    /// </summary>
    [Alias("ReserveNewChannel")]
    Task ReserveNewChannel(string channelId, int invites);

    /// <summary>This user changes who may enter a channel (an invite, a removal of another): counted, or 429 beyond the rate.</summary>
    [Alias("SpendAccessChange")]
    Task SpendAccessChange();

    /// <summary>Refuses (409 <see cref="ErrorCodes.LimitReached"/>) when this user's list is too full to take another channel.</summary>
    [ReadOnly]
    [Alias("EnsureRoomForChannel")]
    Task EnsureRoomForChannel();

    /// <summary>
    /// Keeps an invite to <paramref name="channelId"/> for this user. False (and nothing kept) when they have
    /// <c>Channels:InvitesPendingPerUser</c> invites waiting already. True for one they have.
    /// </summary>
    [Alias("OfferInvite")]
    Task<bool> OfferInvite(string channelId);

    /// <summary>Forgets an invite the channel does not know (answered, or kept by a request that then failed).</summary>
    [Alias("DropInvite")]
    Task DropInvite(string channelId);

    /// <summary>The channels that invited this user and await an answer, oldest first.</summary>
    [ReadOnly]
    [Alias("GetInvites")]
    Task<IReadOnlyList<string>> GetInvites();

    /// <summary>Up to <paramref name="limit"/> channel ids after <paramref name="after"/> (exclusive).</summary>
    [Alias("GetPage")]
    Task<ChannelIdPage> GetPage(int limit, string? after);
}

/// <summary>What LiveKit tells a voice channel (key: channel id; the same activation as <see cref="IVoiceChannelGrain"/>).</summary>
[Alias("DmVoice.IVoiceChannelMediaGrain")]
public interface IVoiceChannelMediaGrain : IVoiceRoomMediaGrain;
