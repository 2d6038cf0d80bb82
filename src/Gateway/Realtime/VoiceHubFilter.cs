using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The hub's side of the one error model: a failed hub method reaches the client as a
/// <see cref="HubException"/> whose message starts with the same stable code a REST problem carries
/// (<c>temporarily_unavailable: …</c>, <c>internal_error: …</c>), classified as the REST exception
/// handler classifies. Without it SignalR would hide every error behind a generic message.
/// </summary>
internal sealed partial class VoiceHubFilter(
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    ILogger<VoiceHubFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var context = invocationContext.Context;
        if (context.Items.TryGetValue(VoiceHub.RefusedItem, out var reason))
        {
            // Turned away while connecting: it is closing, and nothing would reach it.
            throw new HubException(Message(ErrorCodes.TemporarilyUnavailable, $"This connection was turned away ({reason}); reconnect.", options.Value.UnavailableRetryAfter));
        }

        try
        {
            return await next(invocationContext);
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception ex) when (!context.ConnectionAborted.IsCancellationRequested)
        {
            var (code, detail, retryAfter) = ProblemExceptionHandler.Classify(ex, options.Value);
            var method = invocationContext.HubMethodName;
            if (code == ErrorCodes.InternalError)
            {
                LogUnhandled(ex, method, context.ConnectionId);
                metrics.InternalError("hub");
            }
            else if (code == ErrorCodes.TemporarilyUnavailable)
            {
                LogTransient(method, context.ConnectionId, ex.GetType().Name, ex.Message);
                metrics.Unavailable("hub");
            }

            throw new HubException(Message(code, detail, retryAfter));
        }
    }

    /// <summary><c>code: detail</c>, and how long to wait when the client should retry.</summary>
    internal static string Message(string code, string detail, TimeSpan? retryAfter) => retryAfter is { } wait
        ? $"{code}: {detail} (retry after {(int)Math.Ceiling(wait.TotalSeconds)} s)"
        : $"{code}: {detail}";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in hub method {Method} on connection {ConnectionId}")]
    private partial void LogUnhandled(Exception exception, string method, string connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub method {Method} on connection {ConnectionId} answered temporarily_unavailable: {Fault}: {Detail}")]
    private partial void LogTransient(string method, string connectionId, string fault, string detail);
}
