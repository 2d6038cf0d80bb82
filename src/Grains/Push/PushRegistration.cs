using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Push;

/// <summary>Registers push notifications on a silo: always the options (validated at start), the sender only when on.</summary>
public static class PushRegistration
{
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{PushOptions.SectionName}:{nameof(PushOptions.Url)}"]);

    public static IServiceCollection AddDmVoicePush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PushOptions>()
            .Bind(configuration.GetSection(PushOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushOptions>, PushOptionsValidator>());
        services.TryAddSingleton<PushMetrics>();
        if (IsConfigured(configuration))
        {
            // The sender's own timeout applies per attempt; HttpClient's would only get in its way.
            services.AddHttpClient(PushSender.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
            services.TryAddSingleton<PushSender>();
            services.TryAddSingleton<IPushNotifier, GrainPushNotifier>();
        }
        else
        {
            services.TryAddSingleton<IPushNotifier, NoPushNotifier>();
        }

        return services;
    }
}
