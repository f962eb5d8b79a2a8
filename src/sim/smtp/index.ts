export { startSmtpSim, type ReceivedMail, type SmtpSim, type SmtpSimOptions } from "./server.js";
