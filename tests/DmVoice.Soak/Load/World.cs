using System.Text.Json;
using DmVoice.Soak.Clients;

namespace DmVoice.Soak.Load;

/// <summary>A DM or a voice channel as the simulated users believe it to be, from the answers they got.</summary>
public sealed record KnownRoom(string Id, bool IsChannel, bool IsGroup, string OwnerId, IReadOnlyList<string> Members)
{
    public string PathPrefix => IsChannel ? $"/voice-channels/{Id}" : $"/dm-groups/{Id}";
}

/// <summary>
/// What the users know of the rooms they made and were answered about; shared by all of them so they
/// can pick rooms to act on. Beliefs, not the truth: an action on a stale one is answered 404 or 409.
/// </summary>
public sealed class World
{
    private readonly object _lock = new();
    private readonly Dictionary<string, KnownRoom> _rooms = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _rooms.Count;
            }
        }
    }

    /// <summary>Takes a group or channel the API answered with (<c>id</c>, <c>ownerId</c>, <c>memberIds</c>).</summary>
    public void Learn(JsonElement body, bool isChannel)
    {
        if (body.ValueKind != JsonValueKind.Object || Wire.Text(body, "id") is not { } id)
        {
            return;
        }

        var members = body.GetProperty("memberIds").EnumerateArray().Select(m => m.GetString()!).ToList();
        var isGroup = !isChannel && body.TryGetProperty("isGroup", out var group) && group.ValueKind == JsonValueKind.True;
        lock (_lock)
        {
            _rooms[id] = new KnownRoom(id, isChannel, isGroup, Wire.Text(body, "ownerId") ?? string.Empty, members);
        }
    }

    public void Forget(string id)
    {
        lock (_lock)
        {
            _rooms.Remove(id);
        }
    }

    public void Left(string id, string userId)
    {
        lock (_lock)
        {
            if (_rooms.TryGetValue(id, out var room))
            {
                _rooms[id] = room with { Members = room.Members.Where(m => m != userId).ToList() };
            }
        }
    }

    /// <summary>The rooms <paramref name="userId"/> is a member of, in a stable order (so a seeded pick is repeatable).</summary>
    public IReadOnlyList<KnownRoom> RoomsOf(string userId, Func<KnownRoom, bool>? filter = null)
    {
        lock (_lock)
        {
            return _rooms.Values.Where(r => r.Members.Contains(userId) && (filter is null || filter(r))).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        }
    }

    public KnownRoom? Find(string id)
    {
        lock (_lock)
        {
            return _rooms.GetValueOrDefault(id);
        }
    }
}
