using System.Net;

namespace DmVoice.LiveKit;

/// <summary>Base type for everything this library throws about LiveKit itself.</summary>
public class LiveKitException : Exception
{
    public LiveKitException(string message)
        : base(message)
    {
    }

    public LiveKitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A token or webhook signature did not verify (bad signature, issuer, lifetime, body hash, header).</summary>
public sealed class LiveKitAuthException : LiveKitException
{
    public LiveKitAuthException(string message)
        : base(message)
    {
    }

    public LiveKitAuthException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>LiveKit answered a Twirp call with an error (<c>{"code":"…","msg":"…"}</c>).</summary>
public sealed class TwirpException : LiveKitException
{
    public TwirpException(string code, string msg, HttpStatusCode statusCode)
        : base($"LiveKit Twirp error {code} ({(int)statusCode}): {msg}")
    {
        Code = code;
        Msg = msg;
        StatusCode = statusCode;
    }

    /// <summary>Twirp error code, e.g. <c>not_found</c>, <c>unauthenticated</c>, <c>permission_denied</c>.</summary>
    public string Code { get; }

    public string Msg { get; }

    public HttpStatusCode StatusCode { get; }
}

/// <summary>
/// LiveKit could not be reached or is temporarily unable to answer (connection failure, timeout,
/// HTTP 502/503/504 or Twirp <c>unavailable</c>). Callers may retry.
/// </summary>
public sealed class LiveKitUnavailableException : LiveKitException
{
    public LiveKitUnavailableException(string message, Exception? innerException = null, HttpStatusCode? statusCode = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status when LiveKit (or a proxy) answered; null for network failures and timeouts.</summary>
    public HttpStatusCode? StatusCode { get; }
}
