using System.Diagnostics.CodeAnalysis;

namespace DmVoice.LiveKit;

/// <summary>
/// The deterministic voice room ↔ LiveKit room mapping: <c>dm_&lt;dmGroupId&gt;</c> for a DM's call,
/// <c>ch_&lt;channelId&gt;</c> for a voice channel. Being a pure function of the id, every silo and the
/// webhook handler agree on the room without storing it, and a webhook's room name maps back to its room.
/// </summary>
public static class LiveKitRooms
{
    public const string DmPrefix = "dm_";
    public const string ChannelPrefix = "ch_";

    public static string ForChannel(string channelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelId);
        return ChannelPrefix + channelId;
    }

    public static bool TryParseChannel(string? roomName, [NotNullWhen(true)] out string? channelId) =>
        TryParse(roomName, ChannelPrefix, out channelId);

    public static string ForDm(string dmGroupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dmGroupId);
        return DmPrefix + dmGroupId;
    }

    public static bool TryParseDm(string? roomName, [NotNullWhen(true)] out string? dmGroupId) =>
        TryParse(roomName, DmPrefix, out dmGroupId);

    private static bool TryParse(string? roomName, string prefix, [NotNullWhen(true)] out string? id)
    {
        if (roomName is not null
            && roomName.Length > prefix.Length
            && roomName.StartsWith(prefix, StringComparison.Ordinal))
        {
            id = roomName[prefix.Length..];
            return true;
        }

        id = null;
        return false;
    }
}
