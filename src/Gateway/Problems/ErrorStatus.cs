namespace DmVoice.Gateway.Problems;

/// <summary>The HTTP status of each stable error code (codes live in <see cref="ErrorCodes"/>).</summary>
public static class ErrorStatus
{
    private static readonly Dictionary<string, (int Status, string Title)> Map = new(StringComparer.Ordinal)
    {
        [ErrorCodes.ValidationFailed] = (StatusCodes.Status422UnprocessableEntity, "The request has invalid values."),
        [ErrorCodes.MalformedRequest] = (StatusCodes.Status400BadRequest, "The request could not be read: malformed JSON, wrong types or an unparseable value."),
        [ErrorCodes.PayloadTooLarge] = (StatusCodes.Status413PayloadTooLarge, "The request body is too large."),
        [ErrorCodes.DmNotFound] = (StatusCodes.Status404NotFound, "The DM was not found."),
        [ErrorCodes.MemberNotFound] = (StatusCodes.Status404NotFound, "The user is not a member."),
        [ErrorCodes.DmFull] = (StatusCodes.Status409Conflict, "The DM is full."),
        [ErrorCodes.NotGroupDm] = (StatusCodes.Status409Conflict, "This needs a group DM."),
        [ErrorCodes.Forbidden] = (StatusCodes.Status403Forbidden, "You may not do this."),
        [ErrorCodes.NotInCall] = (StatusCodes.Status409Conflict, "You are not in this call."),
        [ErrorCodes.NoActiveCall] = (StatusCodes.Status409Conflict, "The DM has no live call."),
        [ErrorCodes.NotRinging] = (StatusCodes.Status409Conflict, "You are not being rung."),
        [ErrorCodes.RateLimited] = (StatusCodes.Status429TooManyRequests, "Too many requests."),
        [ErrorCodes.Unauthorized] = (StatusCodes.Status401Unauthorized, "A valid bearer token is required."),
        [ErrorCodes.NotFound] = (StatusCodes.Status404NotFound, "No such endpoint."),
        [ErrorCodes.InternalError] = (StatusCodes.Status500InternalServerError, "Something went wrong on our side."),
        [ErrorCodes.LiveKitNotConfigured] = (StatusCodes.Status503ServiceUnavailable, "LiveKit is not configured on this deployment."),
        [ErrorCodes.TemporarilyUnavailable] = (StatusCodes.Status503ServiceUnavailable, "The service is briefly unavailable; try again shortly."),
        [ErrorCodes.CannotDmUser] = (StatusCodes.Status403Forbidden, "You cannot open a DM with this user."),
        [ErrorCodes.LimitReached] = (StatusCodes.Status409Conflict, "A limit on how many of these you may keep is reached."),
        [ErrorCodes.ChannelNotFound] = (StatusCodes.Status404NotFound, "The voice channel was not found."),
        [ErrorCodes.CannotAddUser] = (StatusCodes.Status403Forbidden, "You cannot add this user to a voice channel."),
        [ErrorCodes.ChannelFull] = (StatusCodes.Status409Conflict, "The voice channel is full."),
    };

    public static (int Status, string Title) For(string code) =>
        Map.TryGetValue(code, out var entry) ? entry : Map[ErrorCodes.InternalError];

    /// <summary>Every code with its status, for docs and tests.</summary>
    public static IReadOnlyDictionary<string, (int Status, string Title)> All => Map;
}
