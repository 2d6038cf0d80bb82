using DmVoice.Grains.LiveKit;

namespace DmVoice.Gateway.LiveKit;

internal static class LiveKitGatewaySetup
{
    /// <summary>
    /// Token issuer and webhook receiver when <c>LiveKit:Url</c> is set (shared with a co-hosted silo, which
    /// registers the same services; whichever comes first adds them), and the webhook handler always: without
    /// LiveKit the endpoints answer 503.
    /// </summary>
    public static IServiceCollection AddDmVoiceLiveKit(this IServiceCollection services, IConfiguration configuration)
    {
        if (LiveKitRegistration.IsConfigured(configuration))
        {
            services.AddDmVoiceLiveKitClient(configuration);
        }

        services.AddSingleton<LiveKitWebhookHandler>();
        return services;
    }
}
