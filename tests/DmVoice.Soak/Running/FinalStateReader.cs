using System.Text.Json;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Clients;
using DmVoice.Soak.Load;

namespace DmVoice.Soak.Running;

/// <summary>What the system says at the end, read through the API as the users themselves.</summary>
public sealed record FinalState(
    IReadOnlyDictionary<string, RoomSnapshot> Rooms,
    IReadOnlyDictionary<string, ActiveCallFact?> ActiveCalls,
    IReadOnlyDictionary<string, IReadOnlyList<CallRecordFact>> History)
{
    /// <summary>The rooms' versions, to tell whether anything still changed between two reads.</summary>
    public string Fingerprint => string.Join(";", Rooms.Values.OrderBy(r => r.RoomId).Select(r => $"{r.RoomId}={r.Version}"))
        + "|" + string.Join(";", ActiveCalls.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value?.RoomId}/{a.Value?.DeviceId}"));
}

/// <summary>
/// Reads the final state: every user's own view and lists of DMs and channels (which say who is a member),
/// then each room's presence and each DM's full history, read as one of its members.
/// </summary>
public sealed class FinalStateReader(IReadOnlyList<SimUser> users)
{
    public async Task<FinalState> ReadAsync(CancellationToken cancellationToken)
    {
        var active = new Dictionary<string, ActiveCallFact?>();
        var members = new Dictionary<(string Id, bool IsChannel), List<SimUser>>();
        foreach (var user in users)
        {
            var voice = await Require(user.Api.ReadPatientlyAsync("GET /me/voice (final)", "/me/voice", cancellationToken));
            active[user.UserId] = voice.GetProperty("activeCall") is { ValueKind: JsonValueKind.Object } call
                ? new ActiveCallFact(Wire.Text(call, "kind")!, Wire.Text(call, "id")!, Wire.Text(call, "deviceId"))
                : null;
            foreach (var (list, isChannel) in new[] { ("dm-groups", false), ("voice-channels", true) })
            {
                foreach (var id in await ListAsync(user, list, isChannel ? "voiceChannels" : "dmGroups", cancellationToken))
                {
                    members.TryAdd((id, isChannel), []);
                    members[(id, isChannel)].Add(user);
                }
            }
        }

        var rooms = new Dictionary<string, RoomSnapshot>();
        var history = new Dictionary<string, IReadOnlyList<CallRecordFact>>();
        foreach (var ((id, isChannel), who) in members.OrderBy(m => m.Key.Id, StringComparer.Ordinal))
        {
            var reader = who[0];
            var prefix = isChannel ? $"/voice-channels/{id}" : $"/dm-groups/{id}";
            var presence = await Require(reader.Api.ReadPatientlyAsync("GET presence (final)", $"{prefix}/voice-presence", cancellationToken));
            rooms[id] = Wire.Presence(presence, [.. who.Select(u => u.UserId)]);
            if (!isChannel)
            {
                history[id] = await HistoryAsync(reader, id, cancellationToken);
            }
        }

        return new FinalState(rooms, active, history);
    }

    private static async Task<List<string>> ListAsync(SimUser user, string list, string property, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Require(user.Api.ReadPatientlyAsync($"GET /{list} (final)", $"/{list}?limit=100" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), cancellationToken));
            ids.AddRange(page.GetProperty(property).EnumerateArray().Select(r => Wire.Text(r, "id")!));
            cursor = Wire.Text(page, "nextCursor");
        }
        while (cursor is not null);
        return ids;
    }

    private static async Task<IReadOnlyList<CallRecordFact>> HistoryAsync(SimUser reader, string dmId, CancellationToken cancellationToken)
    {
        var records = new List<CallRecordFact>();
        string? before = null;
        do
        {
            var page = await Require(reader.Api.ReadPatientlyAsync("GET history (final)", $"/dm-groups/{dmId}/calls?limit=100" + (before is null ? string.Empty : "&before=" + Uri.EscapeDataString(before)), cancellationToken));
            records.AddRange(page.GetProperty("calls").EnumerateArray().Select(Wire.Record));
            before = page.TryGetProperty("nextBefore", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (before is not null);
        return records;
    }

    private static async Task<JsonElement> Require(Task<ApiAnswer> reading)
    {
        var answer = await reading;
        return answer.Ok
            ? answer.Body
            : throw new InvalidOperationException($"The final state could not be read: {answer.Status} {answer.Code}");
    }
}
