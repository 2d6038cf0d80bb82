using System.Text.Json;

namespace DmVoice.Grains.Push;

/// <summary>
/// The JSON bodies the push service receives (documented in docs/API.md). <c>id</c> is also the
/// <c>Idempotency-Key</c> header: the same for every attempt at one notification.
/// </summary>
public static class PushPayloads
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string IdOf(string type, string ringId) => $"{type}:{ringId}";

    public static string RingStarted(string recipientId, RingStartedPush push, DateTimeOffset createdAt) =>
        JsonSerializer.Serialize(
            new RingStartedBody(
                IdOf(PushTypes.RingStarted, push.RingId), PushTypes.RingStarted, createdAt, recipientId, push.DmGroupId, push.IsGroup,
                push.CallId, push.RingId, push.CallerId, push.CallerName, push.ExpiresAt, push.HasLiveDevice),
            Json);

    public static string RingStopped(string recipientId, RingStoppedPush push, DateTimeOffset createdAt) =>
        JsonSerializer.Serialize(
            new RingStoppedBody(
                IdOf(PushTypes.RingStopped, push.RingId), PushTypes.RingStopped, createdAt, recipientId, push.DmGroupId, push.CallId, push.RingId, push.Reason),
            Json);

    private sealed record RingStartedBody(
        string Id,
        string Type,
        DateTimeOffset CreatedAt,
        string RecipientId,
        string DmGroupId,
        bool IsGroup,
        string CallId,
        string RingId,
        string CallerId,
        string CallerName,
        DateTimeOffset ExpiresAt,
        bool HasLiveDevice);

    private sealed record RingStoppedBody(
        string Id,
        string Type,
        DateTimeOffset CreatedAt,
        string RecipientId,
        string DmGroupId,
        string CallId,
        string RingId,
        string Reason);
}
