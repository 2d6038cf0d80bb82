namespace DmVoice.Abstractions;

/// <summary>
/// The one typed error that grains throw for anything a caller did wrong. It crosses the Orleans
/// wire intact, so the gateway maps <see cref="Code"/> to an HTTP status without guessing.
/// </summary>
[GenerateSerializer]
[Alias("DmVoice.DmVoiceException")]
public sealed class DmVoiceException : Exception
{
    public DmVoiceException()
    {
        Code = ErrorCodes.InternalError;
    }

    public DmVoiceException(string message)
        : base(message)
    {
        Code = ErrorCodes.InternalError;
    }

    public DmVoiceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.InternalError;
    }

    public DmVoiceException(string code, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        Code = code;
        RetryAfter = retryAfter;
    }

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    [Id(0)]
    public string Code { get; init; }

    /// <summary>Set with <see cref="ErrorCodes.RateLimited"/>.</summary>
    [Id(1)]
    public TimeSpan? RetryAfter { get; init; }

    public static DmVoiceException DmNotFound(string dmGroupId) =>
        new(ErrorCodes.DmNotFound, $"DM '{dmGroupId}' was not found.");

    public static DmVoiceException ChannelNotFound(string channelId) =>
        new(ErrorCodes.ChannelNotFound, $"Voice channel '{channelId}' was not found.");

    public static DmVoiceException Validation(string message) => new(ErrorCodes.ValidationFailed, message);
}
