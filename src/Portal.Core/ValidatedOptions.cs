using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.Core;

/// <summary>
/// An options class that can say what is wrong with its values. Every problem is one sentence that names the setting
/// as it is written in configuration (<c>Storage:UploadPartBytes</c>) and what it must be.
/// </summary>
public interface IValidatedOptions
{
    IEnumerable<string> Problems();
}

public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/> and checks it when the host starts, so a bad setting
    /// stops the portal at once with the setting's name instead of failing on first use.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class, IValidatedOptions
    {
        services.AddSingleton<IValidateOptions<T>, Validator<T>>();
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <inheritdoc cref="AddValidatedOptions{T}(IServiceCollection, IConfiguration, string)"/>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section)
        where T : class, IValidatedOptions
    {
        services.AddSingleton<IValidateOptions<T>, Validator<T>>();
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>Throws, naming every problem, when options read outside the options system are wrong.</summary>
    public static T Checked<T>(T options) where T : IValidatedOptions
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? options : throw new OptionsValidationException(typeof(T).Name, typeof(T), problems);
    }

    private sealed class Validator<T> : IValidateOptions<T> where T : class, IValidatedOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = options.Problems().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }

    // The checks options classes share; each yields a problem or nothing.

    public static IEnumerable<string> Positive(string setting, long value)
    {
        if (value <= 0)
            yield return $"{setting} must be greater than 0 (it is {value}).";
    }

    public static IEnumerable<string> AtLeast(string setting, long value, long minimum)
    {
        if (value < minimum)
            yield return $"{setting} must be at least {minimum:N0} (it is {value:N0}).";
    }

    public static IEnumerable<string> Positive(string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
            yield return $"{setting} must be a positive duration such as 00:30:00 (it is {value}).";
    }

    public static IEnumerable<string> Required(string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            yield return $"{setting} must not be empty.";
    }

    /// <summary>An absolute http or https address, when one is given.</summary>
    public static IEnumerable<string> HttpUrl(string setting, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)
            && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            yield return $"{setting} must be an absolute http or https address such as https://portal.example.com (it is '{value}').";
    }

    public static IEnumerable<string> OneOf(string setting, string value, params string[] allowed)
    {
        if (!allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
            yield return $"{setting} must be one of {string.Join(", ", allowed)} (it is '{value}').";
    }

    public static IEnumerable<string> IpAddresses(string setting, IEnumerable<string> values)
    {
        foreach (var value in values.Where(v => !IPAddress.TryParse(v, out _)))
            yield return $"{setting} lists '{value}', which is not an IP address such as 10.0.0.5.";
    }

    public static IEnumerable<string> Networks(string setting, IEnumerable<string> values)
    {
        foreach (var value in values.Where(v => !IPNetwork.TryParse(v, out _)))
            yield return $"{setting} lists '{value}', which is not a network in CIDR form such as 10.0.0.0/8.";
    }
}
