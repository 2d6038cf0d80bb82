using DmVoice.Grains.LiveKit;

namespace DmVoice.Grains.Channels;

[GenerateSerializer]
[Alias("DmVoice.VoiceChannelState")]
public sealed class VoiceChannelState : IVoiceRoomState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string Name { get; set; } = string.Empty;
    [Id(2)] public string OwnerId { get; set; } = string.Empty;

    /// <summary>The access list, owner first.</summary>
    [Id(3)] public List<string> Members { get; set; } = [];

    /// <summary>0: unlimited; else how many may be in voice at once.</summary>
    [Id(4)] public int UserLimit { get; set; }
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Bumped on every change to the voice and to the channel itself (one sequence for both event kinds), and
    /// never reset, so it orders events across live sessions.
    /// </summary>
    [Id(6)] public long Version { get; set; }
    [Id(7)] public LiveChannelState? Call { get; set; }
    [Id(8)] public bool ReminderRegistered { get; set; }
    [Id(9)] public List<MediaCommand> MediaCommands { get; set; } = [];

    /// <summary>Users whose list of channels must still learn that they were given access.</summary>
    [Id(10)] public List<string> DirectoryAdds { get; set; } = [];

    /// <summary>Users whose list of channels must still learn that they lost access.</summary>
    [Id(11)] public List<string> DirectoryRemoves { get; set; } = [];

    /// <summary>Users invited who have not answered yet → when they were invited. Not members: they see no voice.</summary>
    [Id(12)] public Dictionary<string, DateTimeOffset> Invited { get; set; } = new(StringComparer.Ordinal);

    ILiveRoomState? IVoiceRoomState.Live => Call;

    void IVoiceRoomState.StartLive(ILiveRoomState live) => Call = (LiveChannelState)live;

    void IVoiceRoomState.EndLive() => Call = null;
}

/// <summary>The channel's voice while anyone is in it (and for the empty grace after the last one left).</summary>
[GenerateSerializer]
[Alias("DmVoice.LiveChannelState")]
public sealed class LiveChannelState : ILiveRoomState
{
    [Id(0)] public string CallId { get; set; } = string.Empty;
    [Id(1)] public DateTimeOffset StartedAt { get; set; }
    [Id(2)] public List<ParticipantState> Participants { get; set; } = [];
    [Id(3)] public DateTimeOffset? EmptySince { get; set; }
}
