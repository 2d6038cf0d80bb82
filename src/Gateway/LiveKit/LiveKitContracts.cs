namespace DmVoice.Gateway.LiveKit;

/// <summary>
/// POST /livekit/dm-token and /livekit/channel-token. <c>RoomId</c> is the DM group id or the channel id;
/// <c>Identity</c>, if given, must be the caller's id.
/// </summary>
public sealed record LiveKitTokenRequest(string? RoomId, string? Identity, string? Name);

/// <summary>POST /livekit/dm-token and /livekit/channel-token response: connect to <c>Url</c> with <c>Token</c>; ask again before <c>ExpiresAt</c> to refresh.</summary>
public sealed record LiveKitTokenResponse(string Token, string Url, string RoomName, string Identity, DateTimeOffset ExpiresAt);

/// <summary>POST /livekit/webhook response (LiveKit only looks at the status).</summary>
public sealed record LiveKitWebhookResponse(string Result);

/// <summary>What became of a webhook: the <c>result</c> tag of the webhook metric and the response.</summary>
public static class WebhookResults
{
    public const string Applied = "applied";
    public const string Ignored = "ignored";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
    public const string Malformed = "malformed";
    public const string Failed = "failed";
}
