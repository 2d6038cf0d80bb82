namespace DmVoice.Gateway.Contracts;

/// <summary>POST /dm-groups. The caller is always a member; one other member and no name makes a 1:1 DM.</summary>
public sealed record CreateDmGroupRequest(IReadOnlyList<string>? MemberIds, string? Name);

/// <summary>
/// POST .../voice-presence/join (body optional). <c>DeviceId</c>: the device joining, the same id the client
/// connects to the hub with; <c>DeviceKind</c>: desktop, mobile or web.
/// </summary>
public sealed record JoinVoiceRequest(bool? IsMuted, bool? IsVideoEnabled, string? DeviceId = null, string? DeviceKind = null);

/// <summary>PUT .../voice-presence/state: only the given fields change. <c>DeviceId</c>, if given, must hold the seat.</summary>
public sealed record UpdateVoiceStateRequest(bool? IsMuted, bool? IsDeafened, bool? IsVideoEnabled, bool? IsScreenSharing, string? DeviceId = null);

/// <summary>POST /voice-channels. The caller is the owner and always a member.</summary>
public sealed record CreateVoiceChannelRequest(string? Name, IReadOnlyList<string>? MemberIds, int? UserLimit);

/// <summary>PATCH /voice-channels/{id}: only the given fields change.</summary>
public sealed record UpdateVoiceChannelRequest(string? Name, int? UserLimit);

/// <summary>GET /voice-channels: a page of my channels, in id order.</summary>
public sealed record VoiceChannelPage(IReadOnlyList<VoiceChannel> VoiceChannels, string? NextCursor);

/// <summary>POST /dev/token.</summary>
public sealed record DevTokenRequest(string? UserId, string? DisplayName);

/// <summary>POST /dev/token response.</summary>
public sealed record DevTokenResponse(string Token, string UserId, DateTimeOffset ExpiresAt);

/// <summary>POST .../call/ring (body optional): default rings every member neither in the call nor ringing.</summary>
public sealed record RingRequest(IReadOnlyList<string>? RecipientIds);

/// <summary>POST .../call/ring response: who is ringing now.</summary>
public sealed record RingResponse(string DmGroupId, IReadOnlyList<RingingEntry> Ringing, IReadOnlyList<NotRungEntry> NotRung);

/// <summary>POST .../call/stop-ringing.</summary>
public sealed record StopRingingRequest(IReadOnlyList<string>? RecipientIds);

/// <summary>GET /dm-groups/{id}/calls and /me/missed-calls.</summary>
public sealed record CallHistoryPage(IReadOnlyList<CallRecord> Calls, DateTimeOffset? NextBefore);
