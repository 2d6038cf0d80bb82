using System.Text.Json;
using DmVoice.Soak.Checking;

namespace DmVoice.Soak.Clients;

/// <summary>Reads the API's JSON (events, presences, history) into the checker's facts.</summary>
public static class Wire
{
    public static ObservedEvent Event(string name, JsonElement payload, string deviceId, string userId, int connection, DateTimeOffset at)
    {
        var roomId = Text(payload, "dmGroupId") ?? Text(payload, "channelId") ?? string.Empty;
        var subject = payload.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object ? Text(user, "userId") : Text(payload, "userId");
        return new ObservedEvent(
            at, deviceId, userId, name, roomId, payload.GetProperty("version").GetInt64(), Text(payload, "callId") ?? string.Empty, connection,
            subject, Text(payload, "ringId"), Text(payload, "outcome"),
            payload.TryGetProperty("ringing", out var ringing) ? Rings(ringing) : null,
            payload.TryGetProperty("record", out var record) && record.ValueKind == JsonValueKind.Object ? Record(record) : null);
    }

    public static ParticipantState Participant(JsonElement p) => new(
        Text(p, "userId")!,
        Flag(p, "isMuted"), Flag(p, "isDeafened"), Flag(p, "isVideoEnabled"), Flag(p, "isScreenSharing"),
        Text(p, "deviceKind"));

    public static IReadOnlyList<RingFact> Rings(JsonElement ringing) =>
        ringing.ValueKind != JsonValueKind.Array
            ? []
            : ringing.EnumerateArray().Select(r => new RingFact(Text(r, "userId")!, Text(r, "ringId")!, r.GetProperty("expiresAt").GetDateTimeOffset())).ToList();

    /// <summary>A DM's or a channel's presence (<c>GET …/voice-presence</c>, or an entry of <c>sync</c>).</summary>
    public static RoomSnapshot Presence(JsonElement presence, IReadOnlyList<string>? members = null)
    {
        var isDm = presence.TryGetProperty("dmGroupId", out _);
        var participants = presence.GetProperty("participants").EnumerateArray().Select(Participant).ToDictionary(p => p.UserId);
        return new RoomSnapshot(
            Text(presence, isDm ? "dmGroupId" : "channelId")!,
            isDm ? RoomKind.Dm : RoomKind.Channel,
            presence.GetProperty("version").GetInt64(),
            Text(presence, "callId"),
            participants,
            presence.TryGetProperty("ringing", out var ringing) ? Rings(ringing) : [],
            members ?? []);
    }

    public static CallRecordFact Record(JsonElement record) => new(
        Text(record, "callId")!,
        Text(record, "dmGroupId")!,
        Text(record, "endReason")!,
        record.GetProperty("participants").EnumerateArray().Select(p => p.GetString()!).ToList(),
        record.GetProperty("outcomes").EnumerateArray().Select(o => new OutcomeFact(Text(o, "userId")!, Text(o, "outcome")!)).ToList());

    public static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Flag(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;
}
