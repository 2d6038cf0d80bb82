namespace DmVoice.Abstractions;

/// <summary>
/// The stable error codes shared by grains, gateway and clients. This class is the one source of
/// truth: docs/API.md lists the same codes with their HTTP status.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The request is well formed but a value is invalid (bad id, too long, out of range).</summary>
    public const string ValidationFailed = "validation_failed";

    /// <summary>The body is not valid JSON or has the wrong types.</summary>
    public const string MalformedRequest = "malformed_request";

    /// <summary>The body is larger than the limit.</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>The DM does not exist or the caller is not a member (the two look the same).</summary>
    public const string DmNotFound = "dm_not_found";

    /// <summary>The DM already has the maximum number of members.</summary>
    public const string DmFull = "dm_full";

    /// <summary>The operation needs a group DM (1:1 DMs have fixed members).</summary>
    public const string NotGroupDm = "not_group_dm";

    /// <summary>The user named in the path is not a member of the DM or channel.</summary>
    public const string MemberNotFound = "member_not_found";

    /// <summary>The caller may see the DM but not do this (e.g. only the owner removes others).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The caller (or the device they named) is not a participant of the call.</summary>
    public const string NotInCall = "not_in_call";

    /// <summary>The DM has no live call.</summary>
    public const string NoActiveCall = "no_active_call";

    /// <summary>The caller is not being rung for the DM's call.</summary>
    public const string NotRinging = "not_ringing";

    /// <summary>Too many requests of this kind; retry after the given delay.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>No or an invalid bearer token.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The route does not exist.</summary>
    public const string NotFound = "not_found";

    /// <summary>Something failed on our side; the request may be retried.</summary>
    public const string InternalError = "internal_error";

    /// <summary>The deployment has no LiveKit server configured, so LiveKit endpoints cannot work.</summary>
    public const string LiveKitNotConfigured = "livekit_not_configured";

    /// <summary>
    /// Part of the cluster could not be reached just now (a silo failing over, storage unreachable, a
    /// timeout): nothing was wrong with the request, and the same request may succeed shortly.
    /// </summary>
    public const string TemporarilyUnavailable = "temporarily_unavailable";

    /// <summary>
    /// A new DM with this user cannot be opened (or they cannot be added to a group DM) by the caller.
    /// Deliberately says no more than that: the same answer covers every reason, so it does not reveal a block.
    /// </summary>
    public const string CannotDmUser = "cannot_dm_user";

    /// <summary>A limit on stored things (blocks, muted DMs, a channel's access list) is reached; remove some first.</summary>
    public const string LimitReached = "limit_reached";

    /// <summary>The voice channel does not exist or the caller has no access to it (the two look the same).</summary>
    public const string ChannelNotFound = "channel_not_found";

    /// <summary>The voice channel's user limit is reached: nobody else can join its voice until someone leaves.</summary>
    public const string ChannelFull = "channel_full";

    /// <summary>
    /// The user cannot be invited to (put on the access list of) a voice channel by the caller. Deliberately
    /// says no more than that: the same answer covers every reason (they refuse channel invites, they block the
    /// caller, they have too many invites waiting), so it does not reveal a block.
    /// </summary>
    public const string CannotAddUser = "cannot_add_user";

    /// <summary>Every code above, for documentation and tests.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ValidationFailed, MalformedRequest, PayloadTooLarge, DmNotFound, DmFull, NotGroupDm, MemberNotFound,
        Forbidden, NotInCall, NoActiveCall, NotRinging, RateLimited, Unauthorized, NotFound, InternalError,
        LiveKitNotConfigured, TemporarilyUnavailable, CannotDmUser, LimitReached, ChannelNotFound, ChannelFull, CannotAddUser,
    ];
}
