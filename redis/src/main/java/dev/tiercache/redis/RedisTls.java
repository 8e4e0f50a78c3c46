package dev.tiercache.redis;

import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Locale;

/**
 * TLS for {@code rediss://}: what the client trusts and presents, and what a failed handshake is
 * called in L4's off reason.
 */
final class RedisTls
{
    /** Protects nothing: the in-memory trust store holds public certificates only. */
    private static final char[] TRUST_STORE_PASSWORD = "tiercache-trust".toCharArray();

    private RedisTls()
    {
    }

    /**
     * Full verification (chain and host name), trusting {@code caFile} or the JVM's trust store,
     * presenting the client certificate of {@code javax.net.ssl.keyStore} when set.
     *
     * @param caFile PEM CA certificates, or {@code null}.
     * @return the client's TLS options.
     * @throws IllegalArgumentException when the file holds no readable certificate.
     */
    static SslOptions options(final Path caFile)
    {
        final SslOptions.Builder options = SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL);
        if (caFile != null)
        {
            final byte[] store = trustStore(caFile);
            options.truststore(() -> new ByteArrayInputStream(store), TRUST_STORE_PASSWORD.clone()).trustStoreType("PKCS12");
        }
        final String keyStore = System.getProperty("javax.net.ssl.keyStore");
        if (keyStore != null && !keyStore.isBlank() && !keyStore.equals("NONE"))
        {
            final String password = System.getProperty("javax.net.ssl.keyStorePassword");
            options.keystore(new File(keyStore), password == null ? null : password.toCharArray())
                .keyStoreType(System.getProperty("javax.net.ssl.keyStoreType", KeyStore.getDefaultType()));
        }
        return options.build();
    }

    /** The certificates of a PEM file as a PKCS#12 trust store, serialised (the client reads it per connection). */
    private static byte[] trustStore(final Path caFile)
    {
        final Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caFile))
        {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("remote.tls_ca_file=" + caFile + ": cannot be read (" + ex.getMessage() + ")", ex);
        }
        catch (final CertificateException ex)
        {
            throw new IllegalArgumentException("remote.tls_ca_file=" + caFile + ": not a PEM file of X.509 certificates (" + ex.getMessage() + ")", ex);
        }
        if (certificates.isEmpty())
        {
            throw new IllegalArgumentException("remote.tls_ca_file=" + caFile + ": holds no certificate");
        }
        try
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (final Certificate certificate : certificates)
            {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, TRUST_STORE_PASSWORD);
            return out.toByteArray();
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalStateException("an in-memory PKCS#12 trust store could not be made: " + ex.getMessage(), ex);
        }
    }

    /**
     * What went wrong in a TLS handshake, if that is what failed.
     *
     * @param failure the client's exception.
     * @return e.g. {@code TLS: the server's certificate is not trusted: ...}, or {@code null} when
     *         no TLS error is among its causes.
     */
    static String failure(final Throwable failure)
    {
        Throwable tls = null;
        boolean untrusted = false;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause())
        {
            if (cause instanceof SSLException && tls == null)
            {
                tls = cause;
            }
            untrusted |= cause instanceof CertPathBuilderException || cause instanceof CertPathValidatorException;
        }
        if (tls == null)
        {
            return null;
        }
        final String reason = String.valueOf(tls.getMessage());
        final String lower = reason.toLowerCase(Locale.ROOT);
        if (untrusted || lower.contains("certification path") || lower.contains("pkix"))
        {
            return "TLS: the server's certificate is not trusted (set cache.remote.tls_ca_file, or javax.net.ssl.trustStore): " + reason;
        }
        if (lower.contains("subject alternative name") || lower.contains("no name matching"))
        {
            return "TLS: the server's certificate does not name the host of the URI: " + reason;
        }
        return "TLS handshake failed: " + reason;
    }
}
