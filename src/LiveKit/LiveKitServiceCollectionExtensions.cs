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
    /// (typed HttpClient via IHttpClientFactory), <see cref="ILiveKitRoomService"/> and <see cref="ILiveKitTokenIssuer"/>.
    /// </summary>
    public static IServiceCollection AddLiveKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<LiveKitOptions>()
            .Bind(configuration.GetSection(LiveKitOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveKitOptions>, LiveKitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(RoomServiceClient.HttpClientName)
            .AddTypedClient((http, sp) => new RoomServiceClient(
                http,
                sp.GetRequiredService<IOptions<LiveKitOptions>>().Value,
                sp.GetRequiredService<TimeProvider>()));
        services.TryAddTransient<ILiveKitRoomService>(sp => sp.GetRequiredService<RoomServiceClient>());
        services.TryAddSingleton<ILiveKitTokenIssuer>(sp => new LiveKitTokenIssuer(
            sp.GetRequiredService<IOptions<LiveKitOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
