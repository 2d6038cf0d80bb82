using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace DmVoice.Gateway.Auth;

internal static class ValidatedTokenCacheSetup
{
    /// <summary>
    /// Puts a <see cref="CachingTokenHandler"/> around each of the bearer scheme's token handlers (the
    /// JsonWebTokenHandler), as configured after AddJwtBearer's own setup. Nothing with
    /// <see cref="AuthOptions.ValidatedTokenCacheDuration"/> zero.
    /// </summary>
    public static IServiceCollection AddValidatedTokenCache(this IServiceCollection services, AuthOptions auth)
    {
        if (auth.ValidatedTokenCacheDuration <= TimeSpan.Zero)
        {
            return services;
        }

        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TimeProvider, GatewayMetrics>((options, time, metrics) =>
            {
                for (var i = 0; i < options.TokenHandlers.Count; i++)
                {
                    options.TokenHandlers[i] = new CachingTokenHandler(
                        options.TokenHandlers[i], auth.ValidatedTokenCacheDuration, auth.ValidatedTokenCacheSize, time, metrics);
                }
            });
        return services;
    }
}
