namespace DmVoice.Abstractions;

/// <summary>
/// A voice channel (key: channel id): its name, owner, access list and user limit, and the voice in it.
/// One grain for both, so a member removed from the access list leaves the voice in the same write.
/// Non-members cannot tell a channel from a missing one (<see cref="ErrorCodes.ChannelNotFound"/>).
/// </summary>
[Alias("DmVoice.IVoiceChannelGrain")]
public interface IVoiceChannelGrain : IVoiceRoomGrain
{
    /// <summary>Creates the channel with <paramref name="ownerId"/> as owner and member.</summary>
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

    /// <summary>The owner gives a user access. Idempotent.</summary>
    [Alias("AddMember")]
    Task<VoiceChannel> AddMember(string requesterId, string userId);

    /// <summary>
    /// The owner takes a user's access away (or a member their own): they leave the voice (<c>removed</c>).
    /// Returns null when the caller removed themselves and so can no longer see the channel.
    /// </summary>
    [Alias("RemoveMember")]
    Task<VoiceChannel?> RemoveMember(string requesterId, string userId);

    [Alias("GetPresence")]
    Task<ChannelPresence> GetPresence(string requesterId);
}

/// <summary>The voice channels a user may enter (key: user id), in id order, so "my channels" reads one grain.</summary>
[Alias("DmVoice.IUserChannelsGrain")]
public interface IUserChannelsGrain : IGrainWithStringKey
{
    [Alias("AddChannel")]
    Task AddChannel(string channelId);

    [Alias("RemoveChannel")]
    Task RemoveChannel(string channelId);

    /// <summary>Up to <paramref name="limit"/> channel ids after <paramref name="after"/> (exclusive).</summary>
    [Alias("GetPage")]
    Task<ChannelIdPage> GetPage(int limit, string? after);
}

/// <summary>What LiveKit tells a voice channel (key: channel id; the same activation as <see cref="IVoiceChannelGrain"/>).</summary>
[Alias("DmVoice.IVoiceChannelMediaGrain")]
public interface IVoiceChannelMediaGrain : IVoiceRoomMediaGrain;
