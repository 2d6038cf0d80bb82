using System.Globalization;
using System.Threading.RateLimiting;
using DmVoice.Gateway.Hosting;
using Microsoft.AspNetCore.SignalR;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// Every hub method invocation spends from the caller's request budget, the same one REST requests use
/// (<see cref="UserRequestLimiter"/>). A refusal reaches the client as a <see cref="HubException"/> whose
/// message starts with the stable error code (<c>rate_limited: …</c>); the method's own errors are
/// turned into such exceptions by <see cref="VoiceHubFilter"/>, inside this one.
/// </summary>
public sealed class HubRequestFilter(UserRequestLimiter limiter) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var key = UserRequestLimiter.KeyFor(invocationContext.Context.User, null);
        using (var lease = limiter.Limiter.AttemptAcquire(key))
        {
            if (!lease.IsAcquired)
            {
                var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                throw new HubException(
                    $"{ErrorCodes.RateLimited}: Too many requests; retry after {seconds.ToString(CultureInfo.InvariantCulture)} s.");
            }
        }

        return await next(invocationContext);
    }
}
