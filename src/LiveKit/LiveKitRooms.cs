using System.Diagnostics.CodeAnalysis;

namespace DmVoice.LiveKit;

/// <summary>
/// The deterministic DM group ↔ LiveKit room mapping. Being a pure function of the group id, every silo
/// and the webhook handler agree on the room without storing it, and a webhook's room name maps back to the DM.
/// </summary>
public static class LiveKitRooms
{
    public const string DmPrefix = "dm_";

    public static string ForDm(string dmGroupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dmGroupId);
        return DmPrefix + dmGroupId;
    }

    public static bool TryParseDm(string? roomName, [NotNullWhen(true)] out string? dmGroupId)
    {
        if (roomName is not null
            && roomName.Length > DmPrefix.Length
            && roomName.StartsWith(DmPrefix, StringComparison.Ordinal))
        {
            dmGroupId = roomName[DmPrefix.Length..];
            return true;
        }

        dmGroupId = null;
        return false;
    }
}
