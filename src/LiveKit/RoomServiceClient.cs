using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DmVoice.LiveKit;

/// <summary>The small slice of LiveKit's RoomService that DmVoice depends on.</summary>
public interface ILiveKitRoomService
{
    Task<IReadOnlyList<ParticipantInfo>> ListParticipantsAsync(string room, CancellationToken ct);

    /// <summary>Disconnects the participant. Succeeds when the participant (or room) is already gone.</summary>
    Task RemoveParticipantAsync(string room, string identity, CancellationToken ct);

    /// <summary>Closes the room and disconnects everyone. Succeeds when the room does not exist.</summary>
    Task DeleteRoomAsync(string room, CancellationToken ct);
}

/// <summary>
/// LiveKit RoomService over Twirp JSON: <c>POST {url}/twirp/livekit.RoomService/{Method}</c> with a fresh,
/// short-lived bearer token per request carrying only the grant that method needs (the same grants the
/// official SDKs use). The token goes on the request, never on DefaultRequestHeaders, because the
/// HttpClient is shared and concurrent calls target different rooms.
/// </summary>
public sealed class RoomServiceClient : ILiveKitRoomService
{
    public const string HttpClientName = "DmVoice.LiveKit";
    private const string ServicePath = "twirp/livekit.RoomService/";

    private readonly HttpClient _http;
    private readonly LiveKitOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Uri _baseUri;

    public RoomServiceClient(HttpClient http, LiveKitOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        var baseUrl = options.TwirpBaseUri.ToString();
        _baseUri = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
    }

    /// <summary>Lists active rooms, optionally only those with the given names (grant: roomList).</summary>
    public async Task<IReadOnlyList<Room>> ListRoomsAsync(IReadOnlyCollection<string>? names, CancellationToken ct)
    {
        var body = WriteJson(w =>
        {
            if (names is { Count: > 0 })
            {
                w.WriteStartArray("names");
                foreach (var name in names)
                {
                    w.WriteStringValue(name);
                }

                w.WriteEndArray();
            }
        });
        using var response = await SendAsync("ListRooms", body, new VideoGrants { RoomList = true }, ct);
        return ProtoJson.GetArray(response.RootElement, "rooms").Select(Room.FromJson).ToArray();
    }

    public Task<IReadOnlyList<Room>> ListRoomsAsync(CancellationToken ct) => ListRoomsAsync(null, ct);

    /// <summary>Participants currently in the room (grant: roomAdmin for that room).</summary>
    public async Task<IReadOnlyList<ParticipantInfo>> ListParticipantsAsync(string room, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        var body = WriteJson(w => w.WriteString("room", room));
        using var response = await SendAsync("ListParticipants", body, AdminOf(room), ct);
        return ProtoJson.GetArray(response.RootElement, "participants").Select(ParticipantInfo.FromJson).ToArray();
    }

    public async Task RemoveParticipantAsync(string room, string identity, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        var body = WriteJson(w =>
        {
            w.WriteString("room", room);
            w.WriteString("identity", identity);
        });
        try
        {
            using var _ = await SendAsync("RemoveParticipant", body, AdminOf(room), ct);
        }
        catch (TwirpException ex) when (ex.Code == TwirpErrorCodes.NotFound)
        {
            // Already gone (left, never joined, or the room closed): the goal "not in the room" is met.
        }
    }

    public async Task DeleteRoomAsync(string room, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        var body = WriteJson(w => w.WriteString("room", room));
        try
        {
            // LiveKit authorizes DeleteRoom with roomCreate (not roomAdmin); the official SDKs send exactly that.
            using var _ = await SendAsync("DeleteRoom", body, new VideoGrants { RoomCreate = true }, ct);
        }
        catch (TwirpException ex) when (ex.Code == TwirpErrorCodes.NotFound)
        {
            // No such room: deleting is idempotent from our side.
        }
    }

    private static VideoGrants AdminOf(string room) => new() { RoomAdmin = true, Room = room };

    private string CreateAuthToken(VideoGrants grants) =>
        new AccessToken(_options.ApiKey, _options.ApiSecret, _timeProvider) { Ttl = _options.TokenTtl }
            .AddGrant(grants)
            .ToJwt();

    private async Task<JsonDocument> SendAsync(string method, byte[] body, VideoGrants grants, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, ServicePath + method));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CreateAuthToken(grants));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new LiveKitUnavailableException(
                $"LiveKit {method} timed out after {_options.RequestTimeout.TotalSeconds:0.###} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new LiveKitUnavailableException($"LiveKit {method} failed: {ex.Message}", ex);
        }

        using (response)
        {
            byte[] payload;
            try
            {
                payload = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw new LiveKitUnavailableException($"LiveKit {method} timed out reading the response.", ex);
            }
            catch (HttpRequestException ex)
            {
                throw new LiveKitUnavailableException($"LiveKit {method} failed reading the response: {ex.Message}", ex);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw ToError(method, response, payload);
            }

            try
            {
                return payload.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(payload);
            }
            catch (JsonException ex)
            {
                throw new LiveKitException($"LiveKit {method} returned a body that is not JSON.", ex);
            }
        }
    }

    private static LiveKitException ToError(string method, HttpResponseMessage response, byte[] payload)
    {
        string? code = null;
        string? msg = null;
        try
        {
            using var error = JsonDocument.Parse(payload);
            code = ProtoJson.GetString(error.RootElement, "code");
            msg = ProtoJson.GetString(error.RootElement, "msg");
        }
        catch (JsonException)
        {
            // Not a Twirp error body (e.g. a proxy's HTML page); fall back to the status below.
        }

        var status = response.StatusCode;
        msg ??= payload.Length > 0 ? Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 512)) : response.ReasonPhrase ?? string.Empty;
        if (code == TwirpErrorCodes.Unavailable
            || (code is null && status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
        {
            return new LiveKitUnavailableException($"LiveKit {method} unavailable ({(int)status}): {msg}", statusCode: status);
        }

        return new TwirpException(code ?? TwirpErrorCodes.FromStatus(status), msg, status);
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>Twirp error codes (twitchtv/twirp spec) that matter here.</summary>
public static class TwirpErrorCodes
{
    public const string NotFound = "not_found";
    public const string Unauthenticated = "unauthenticated";
    public const string PermissionDenied = "permission_denied";
    public const string InvalidArgument = "invalid_argument";
    public const string Internal = "internal";
    public const string Unavailable = "unavailable";
    public const string Unknown = "unknown";

    /// <summary>Best guess for a non-Twirp error body, from the HTTP status (Twirp's own mapping).</summary>
    public static string FromStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => NotFound,
        HttpStatusCode.Unauthorized => Unauthenticated,
        HttpStatusCode.Forbidden => PermissionDenied,
        HttpStatusCode.BadRequest => InvalidArgument,
        HttpStatusCode.ServiceUnavailable => Unavailable,
        _ => (int)status >= 500 ? Internal : Unknown,
    };
}
