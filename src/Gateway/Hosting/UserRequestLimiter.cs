using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;

namespace DmVoice.Gateway.Hosting;

/// <summary>
/// One request budget per user (<c>Gateway:RequestsPerMinute</c>), shared by REST requests and hub method
/// invocations, so a client cannot go around the limit by calling the hub instead. Anonymous requests are
/// counted per address.
/// </summary>
public sealed class UserRequestLimiter : IDisposable
{
    public UserRequestLimiter(GatewayOptions options)
    {
        Limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.RequestsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
    }

    /// <summary>Partitioned by <see cref="KeyFor"/>.</summary>
    public PartitionedRateLimiter<string> Limiter { get; }

    public static string KeyFor(ClaimsPrincipal? user, IPAddress? address) =>
        user?.FindFirstValue("sub") is { } sub ? "user:" + sub : "ip:" + address;

    public void Dispose() => Limiter.Dispose();
}
