using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DmVoice.TestSupport.LiveKit;

/// <summary>One RoomService request the fake received (also failed and rejected ones).</summary>
/// <param name="Method">Twirp method, e.g. "RemoveParticipant".</param>
/// <param name="Room">The request's <c>room</c> field.</param>
/// <param name="Identity">The request's <c>identity</c> field.</param>
/// <param name="StatusCode">What the fake answered.</param>
/// <param name="Body">Raw request JSON.</param>
/// <param name="ContentType">Request Content-Type header.</param>
/// <param name="Authorization">Raw Authorization header.</param>
/// <param name="GrantedRoom">The <c>video.room</c> of the bearer token, when it verified.</param>
public sealed record FakeLiveKitCall(
    string Method,
    string? Room,
    string? Identity,
    int StatusCode,
    string Body,
    string? ContentType,
    string? Authorization,
    string? GrantedRoom);

/// <summary>A webhook as LiveKit would POST it: the exact body bytes and the Authorization header value.</summary>
public sealed record FakeLiveKitWebhook(byte[] Body, string Authorization)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// An in-process stand-in for the LiveKit server's RoomService, speaking Twirp JSON on 127.0.0.1 like LiveKit:
/// bearer-token auth with the same grants LiveKit requires (roomAdmin+room for participant calls, roomCreate for
/// DeleteRoom, roomList for ListRooms), 401 <c>unauthenticated</c> otherwise, 404 <c>not_found</c> for missing
/// participants/rooms, snake_case proto field names and int64 as strings in replies. Also signs webhooks the
/// way LiveKit does, to drive webhook endpoints.
/// </summary>
public sealed class FakeLiveKitServer : IAsyncDisposable
{
    public const string DefaultApiKey = "fake-livekit-key";
    public const string DefaultApiSecret = "fake-livekit-secret-at-least-32-bytes-long";

    private const string ServicePrefix = "/twirp/livekit.RoomService/";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FakeRoom> _rooms = new(StringComparer.Ordinal);
    private readonly List<FakeLiveKitCall> _calls = [];
    private readonly List<(Func<FakeLiveKitCall, bool> Match, TaskCompletionSource<FakeLiveKitCall> Done)> _waiters = [];
    private readonly TimeProvider _time;
    private WebApplication? _app;
    private int _failuresLeft;
    private int _failureStatus = (int)HttpStatusCode.ServiceUnavailable;
    private string _failureCode = "unavailable";

    private FakeLiveKitServer(string apiKey, string apiSecret, TimeProvider time)
    {
        ApiKey = apiKey;
        ApiSecret = apiSecret;
        _time = time;
    }

    public string ApiKey { get; }

    public string ApiSecret { get; }

    /// <summary>http://127.0.0.1:port — what LiveKitOptions.Url should be set to.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The same endpoint as clients would see it (ws://).</summary>
    public string WsUrl => "ws://" + Url.Authority;

    public static async Task<FakeLiveKitServer> StartAsync(
        string apiKey = DefaultApiKey,
        string apiSecret = DefaultApiSecret,
        TimeProvider? timeProvider = null,
        CancellationToken ct = default)
    {
        var server = new FakeLiveKitServer(apiKey, apiSecret, timeProvider ?? TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // Port 0: the OS picks a free port atomically, no race with other tests grabbing it first.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost(ServicePrefix + "{method}", (HttpContext context, string method) => server.HandleAsync(context, method));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        server._app = app;
        return server;
    }

    /// <summary>Recorded requests, oldest first (a snapshot).</summary>
    public IReadOnlyList<FakeLiveKitCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>Room name → identities currently in it (a snapshot).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Rooms
    {
        get
        {
            lock (_gate)
            {
                return _rooms.ToDictionary(
                    r => r.Key,
                    r => (IReadOnlyList<string>)r.Value.Participants.Keys.ToArray(),
                    StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Puts a participant (ACTIVE) in the room, creating the room if needed, as if it had joined.</summary>
    public void AddParticipant(string room, string identity, string? name = null)
    {
        lock (_gate)
        {
            var r = GetOrCreateRoom(room);
            r.Participants[identity] = new FakeParticipant("PA_" + RandomId(), identity, name ?? identity, _time.GetUtcNow());
        }
    }

    /// <summary>As if the participant left on its own (no call recorded). Returns false when it was not there.</summary>
    public bool RemoveParticipantLocally(string room, string identity)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var r) && r.Participants.Remove(identity);
        }
    }

    /// <summary>Creates an empty room (LiveKit keeps rooms until their empty timeout).</summary>
    public void AddRoom(string room)
    {
        lock (_gate)
        {
            GetOrCreateRoom(room);
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> requests fail with <paramref name="statusCode"/> and a Twirp error
    /// (default 503 "unavailable", i.e. LiveKit down or restarting) — to test retries.
    /// </summary>
    public void FailNextRequests(int count, HttpStatusCode statusCode = HttpStatusCode.ServiceUnavailable, string code = "unavailable")
    {
        lock (_gate)
        {
            _failuresLeft = count;
            _failureStatus = (int)statusCode;
            _failureCode = code;
        }
    }

    public void ClearCalls()
    {
        lock (_gate)
        {
            _calls.Clear();
        }
    }

    /// <summary>Completes with the first call (already recorded or future) of <paramref name="method"/> matching the predicate.</summary>
    /// <exception cref="TimeoutException">No such call within <paramref name="timeout"/> (default 10 s).</exception>
    public async Task<FakeLiveKitCall> WaitForCallAsync(
        string method,
        Func<FakeLiveKitCall, bool>? predicate = null,
        TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        bool Match(FakeLiveKitCall c) => c.Method == method && (predicate is null || predicate(c));
        var waiter = (Match: (Func<FakeLiveKitCall, bool>)Match, Done: new TaskCompletionSource<FakeLiveKitCall>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            var existing = _calls.FirstOrDefault(Match);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10), ct);
        }
        catch (TimeoutException)
        {
            var seen = string.Join(", ", Calls.Select(c => $"{c.Method}({c.Room},{c.Identity})={c.StatusCode}"));
            throw new TimeoutException($"FakeLiveKitServer: no matching {method} call; received: [{seen}]");
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>
    /// A webhook body in LiveKit's format (protobuf JSON with camelCase names, int64 as strings, enum names,
    /// zero values omitted) and its Authorization value: a raw JWT (no "Bearer") whose sha256 claim is the
    /// base64 SHA-256 of the body, valid for 5 minutes, as LiveKit's notifier signs it.
    /// </summary>
    /// <param name="eventName">e.g. "participant_joined", "participant_left", "room_finished".</param>
    /// <param name="room">Room name.</param>
    /// <param name="identity">Participant identity for participant_* and track_* events.</param>
    /// <param name="disconnectReason">Proto name such as "CLIENT_INITIATED" or "PARTICIPANT_REMOVED" (participant_left).</param>
    /// <param name="joinedAt">When the participant's media session began, for news about an older session (default: as recorded, or now).</param>
    /// <param name="roomCreatedAt">When the room was created, for news about an older room (default: as recorded, or now).</param>
    public FakeLiveKitWebhook CreateWebhook(
        string eventName,
        string room,
        string? identity = null,
        string? disconnectReason = null,
        DateTimeOffset? joinedAt = null,
        DateTimeOffset? roomCreatedAt = null)
    {
        var now = _time.GetUtcNow();
        JsonObject roomJson;
        JsonObject? participantJson = null;
        lock (_gate)
        {
            _rooms.TryGetValue(room, out var known);
            roomJson = new JsonObject
            {
                ["sid"] = known?.Sid ?? "RM_" + RandomId(),
                ["name"] = room,
                ["emptyTimeout"] = 300,
                ["departureTimeout"] = 20,
                ["creationTime"] = (roomCreatedAt ?? known?.CreatedAt ?? now).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["enabledCodecs"] = new JsonArray(new JsonObject { ["mime"] = "audio/opus" }, new JsonObject { ["mime"] = "video/VP8" }),
            };
            if (known is { Participants.Count: > 0 })
            {
                roomJson["numParticipants"] = known.Participants.Count;
            }

            if (identity is not null)
            {
                FakeParticipant? p = null;
                known?.Participants.TryGetValue(identity, out p);
                var state = eventName is "participant_left" or "participant_connection_aborted" ? "DISCONNECTED" : "ACTIVE";
                participantJson = new JsonObject
                {
                    ["sid"] = p?.Sid ?? "PA_" + RandomId(),
                    ["identity"] = identity,
                    ["state"] = state,
                    ["joinedAt"] = (joinedAt ?? p?.JoinedAt ?? now).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["name"] = p?.Name ?? identity,
                    ["version"] = 2,
                    ["permission"] = new JsonObject { ["canSubscribe"] = true, ["canPublish"] = true, ["canPublishData"] = true },
                };
                if (!string.IsNullOrEmpty(disconnectReason))
                {
                    participantJson["disconnectReason"] = disconnectReason;
                }
            }
        }

        var json = new JsonObject { ["event"] = eventName, ["room"] = roomJson };
        if (participantJson is not null)
        {
            json["participant"] = participantJson;
        }

        json["id"] = "EV_" + RandomId();
        json["createdAt"] = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var body = Encoding.UTF8.GetBytes(json.ToJsonString());
        var claims = new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(body)) };
        return new FakeLiveKitWebhook(body, FakeLiveKitJwt.Sign(ApiKey, ApiSecret, claims, now, TimeSpan.FromMinutes(5)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }

        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetCanceled();
            }
        }
    }

    private async Task HandleAsync(HttpContext context, string method)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var contentType = context.Request.ContentType;
        string? room = null;
        string? identity = null;
        JsonElement request = default;
        try
        {
            using var doc = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
            request = doc.RootElement.Clone();
            room = request.TryGetProperty("room", out var r) ? r.GetString() : null;
            identity = request.TryGetProperty("identity", out var i) ? i.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Leave request undefined: answered as "malformed" below, and still recorded.
        }

        string? grantedRoom = null;
        var (status, reply) = Dispatch();
        lock (_gate)
        {
            var call = new FakeLiveKitCall(method, room, identity, status, body, contentType, authorization, grantedRoom);
            _calls.Add(call);
            foreach (var waiter in _waiters.Where(w => w.Match(call)).ToArray())
            {
                waiter.Done.TrySetResult(call);
            }
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(reply.ToJsonString(), context.RequestAborted);

        (int Status, JsonNode Reply) Dispatch()
        {
            lock (_gate)
            {
                if (_failuresLeft > 0)
                {
                    _failuresLeft--;
                    return Error(_failureStatus, _failureCode, "simulated LiveKit failure");
                }
            }

            // Twirp routes only application/json (and protobuf) bodies.
            if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return Error(404, "bad_route", $"unexpected Content-Type: {contentType}");
            }

            if (request.ValueKind != JsonValueKind.Object)
            {
                return Error(400, "malformed", "the json request could not be decoded");
            }

            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return Error(401, "unauthenticated", "invalid authorization header. Must start with Bearer ");
            }

            if (!FakeLiveKitJwt.TryVerify(authorization["Bearer ".Length..], ApiKey, ApiSecret, _time.GetUtcNow(), out var claims, out var error))
            {
                return Error(401, "unauthenticated", error);
            }

            var video = claims.TryGetProperty("video", out var v) && v.ValueKind == JsonValueKind.Object ? v : default;
            bool Grant(string name) => video.ValueKind == JsonValueKind.Object && video.TryGetProperty(name, out var g) && g.ValueKind == JsonValueKind.True;
            grantedRoom = video.ValueKind == JsonValueKind.Object && video.TryGetProperty("room", out var gr) ? gr.GetString() : null;
            bool AdminOf(string? target) => Grant("roomAdmin") && !string.IsNullOrEmpty(target) && grantedRoom == target;

            // LiveKit answers permission failures with Twirp "unauthenticated" as well.
            const string denied = "permissions denied";
            switch (method)
            {
                case "ListRooms":
                    return Grant("roomList") ? (200, ListRooms(request)) : Error(401, "unauthenticated", denied);
                case "ListParticipants":
                    return AdminOf(room) ? (200, ListParticipants(room!)) : Error(401, "unauthenticated", denied);
                case "RemoveParticipant":
                    if (!AdminOf(room))
                    {
                        return Error(401, "unauthenticated", denied);
                    }

                    lock (_gate)
                    {
                        return _rooms.TryGetValue(room!, out var r) && identity is not null && r.Participants.Remove(identity)
                            ? (200, new JsonObject())
                            : Error(404, "not_found", "participant not found");
                    }

                case "DeleteRoom":
                    if (!Grant("roomCreate"))
                    {
                        return Error(401, "unauthenticated", denied);
                    }

                    lock (_gate)
                    {
                        return room is not null && _rooms.Remove(room) ? (200, new JsonObject()) : Error(404, "not_found", "requested room does not exist");
                    }

                default:
                    return Error(404, "bad_route", $"no handler for path \"{ServicePrefix}{method}\"");
            }
        }
    }

    private JsonObject ListRooms(JsonElement request)
    {
        var names = request.TryGetProperty("names", out var n) && n.ValueKind == JsonValueKind.Array
            ? n.EnumerateArray().Select(x => x.GetString()).ToHashSet(StringComparer.Ordinal)
            : null;
        var rooms = new JsonArray();
        lock (_gate)
        {
            foreach (var (name, room) in _rooms)
            {
                if (names is { Count: > 0 } && !names.Contains(name))
                {
                    continue;
                }

                rooms.Add(new JsonObject
                {
                    ["sid"] = room.Sid,
                    ["name"] = name,
                    ["empty_timeout"] = 300,
                    ["creation_time"] = room.CreatedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["num_participants"] = room.Participants.Count,
                    ["metadata"] = string.Empty,
                });
            }
        }

        return new JsonObject { ["rooms"] = rooms };
    }

    private JsonObject ListParticipants(string room)
    {
        lock (_gate)
        {
            // A room LiveKit does not know yields an empty message: the participants field is simply absent.
            if (!_rooms.TryGetValue(room, out var r))
            {
                return new JsonObject();
            }

            var participants = new JsonArray();
            foreach (var p in r.Participants.Values)
            {
                participants.Add(new JsonObject
                {
                    ["sid"] = p.Sid,
                    ["identity"] = p.Identity,
                    ["state"] = "ACTIVE",
                    ["tracks"] = new JsonArray(),
                    ["metadata"] = string.Empty,
                    ["joined_at"] = p.JoinedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["joined_at_ms"] = p.JoinedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["name"] = p.Name,
                    ["version"] = 1,
                    ["permission"] = new JsonObject { ["can_subscribe"] = true, ["can_publish"] = true, ["can_publish_data"] = true },
                    ["region"] = string.Empty,
                    ["is_publisher"] = false,
                    ["kind"] = "STANDARD",
                    ["attributes"] = new JsonObject(),
                    ["disconnect_reason"] = "UNKNOWN_REASON",
                });
            }

            return new JsonObject { ["participants"] = participants };
        }
    }

    private static (int Status, JsonNode Reply) Error(int status, string code, string msg) =>
        (status, new JsonObject { ["code"] = code, ["msg"] = msg });

    private FakeRoom GetOrCreateRoom(string room)
    {
        if (!_rooms.TryGetValue(room, out var r))
        {
            r = new FakeRoom("RM_" + RandomId(), _time.GetUtcNow());
            _rooms[room] = r;
        }

        return r;
    }

    private static string RandomId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6));

    private sealed record FakeRoom(string Sid, DateTimeOffset CreatedAt)
    {
        public Dictionary<string, FakeParticipant> Participants { get; } = new(StringComparer.Ordinal);
    }

    private sealed record FakeParticipant(string Sid, string Identity, string Name, DateTimeOffset JoinedAt);
}
