using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DmVoice.LiveKit;

public static class LiveKitServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="LiveKitOptions"/> from the "LiveKit" section (validated at startup, so a missing or
    /// short secret stops the host instead of failing the first call) and registers the RoomService client
    /// (typed HttpClient via IHttpClientFactory), <see cref="ILiveKitRoomService"/>, <see cref="ILiveKitTokenIssuer"/>
    /// and a <see cref="WebhookReceiver"/> for the same key pair.
    /// Tokens always use the system clock, not a TimeProvider from DI: a host or test that fakes time for its
    /// own logic must not push nbf/exp out of the real SFU's window.
    /// </summary>
    public static IServiceCollection AddLiveKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<LiveKitOptions>()
            .Bind(configuration.GetSection(LiveKitOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveKitOptions>, LiveKitOptionsValidator>());

        services.AddHttpClient(RoomServiceClient.HttpClientName)
            .AddTypedClient((http, sp) => new RoomServiceClient(
                http,
                sp.GetRequiredService<IOptions<LiveKitOptions>>().Value));
        services.TryAddTransient<ILiveKitRoomService>(sp => sp.GetRequiredService<RoomServiceClient>());
        services.TryAddSingleton<ILiveKitTokenIssuer>(sp => new LiveKitTokenIssuer(
            sp.GetRequiredService<IOptions<LiveKitOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LiveKitOptions>>().Value;
            return new WebhookReceiver(options.ApiKey, options.ApiSecret);
        });
        return services;
    }
}
