// A Java (JSSE) TLS client for certscan's tests: trusts the certificates of a PEM file only,
// connects to 127.0.0.1:PORT for NAME with HTTPS host name verification, and prints "works" or
// "fails: " and why. Run as a single-file program: java TlsClient.java CAFILE PORT NAME
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class TlsClient {
    public static void main(String[] args) throws Exception {
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        int count = 0;
        try (InputStream in = new FileInputStream(args[0])) {
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                anchors.setCertificateEntry("anchor" + count++, certificate);
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        int port = Integer.parseInt(args[1]);
        try (Socket raw = new Socket("127.0.0.1", port);
             SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, args[2], port, true)) {
            raw.setSoTimeout(10000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            System.out.println("works");
        } catch (SSLException error) {
            System.out.println("fails: " + error.getMessage());
        }
    }
}
